//! The planner (being written).
