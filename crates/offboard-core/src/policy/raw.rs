//! Raw serde shapes of the policy files (being written).
