//! Identifier rules from the AWS models (being written).
