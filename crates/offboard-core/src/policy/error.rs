//! Located policy errors: `path:line:column: what is wrong, and what would be right`.

use super::Origin;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    /// None only for errors about the whole input (e.g. no files given).
    pub origin: Option<Origin>,
    pub message: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.origin {
            Some(o) => write!(f, "{o}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// Every error found, not just the first: a reviewer fixes a file in one pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct PolicyErrors(pub Vec<PolicyError>);

impl fmt::Display for PolicyErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
