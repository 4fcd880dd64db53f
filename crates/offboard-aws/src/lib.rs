//! offboard-aws
