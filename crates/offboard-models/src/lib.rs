//! The official AWS API models of the four services offboard uses (IAM Identity Center admin,
//! Identity Store, AppStream, Kendra), embedded, with a validator for request, response and error
//! bodies.
//!
//! The models are botocore 1.44.5's `service-2.json` files, copied unchanged into `models/` of this
//! crate beside botocore's `LICENSE.txt` (Apache-2.0) and `NOTICE`. They are compiled in with
//! `include_str!` and parsed on first use: no file or network access at run time.
//!
//! ```
//! use offboard_models::Service;
//! use serde_json::json;
//!
//! let model = Service::SsoAdmin.model();
//! let err = model
//!     .validate_input("DeleteAccountAssignment", &json!({}))
//!     .unwrap_err();
//! assert_eq!(err.error_code(), "ValidationException");
//! assert!(err.aws_message().starts_with("6 validation errors detected: "));
//! ```

mod model;
mod pattern;
mod service;
mod shape;
mod validate;
mod violation;

pub use model::{Model, ModelError, Operation};
pub use service::{DefaultRate, QUOTAS, Quota, QuotaInfo, SERVICES, Service, ServiceInfo, UnknownService};
pub use shape::{Member, Shape, ShapeType};
pub use violation::{Violation, ViolationKind, Violations};
