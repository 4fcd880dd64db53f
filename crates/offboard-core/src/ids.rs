//! Identifier rules: what an AWS identifier written by a *user* must look like.
//!
//! Each kind of identifier a policy can contain has one [`Rule`], copied from the official AWS
//! model shape that the identifier ends up in (lengths and pattern exactly as the model writes
//! them). Checking at load time turns a typo into `path:line:column: … it must match …` instead
//! of a `ValidationException` halfway through an apply. The `ids_agree_with_models` test reads the
//! same shapes from `offboard-models` and fails if a rule and its model drift apart.
//!
//! Only input is checked here. Identifiers that come back from AWS are data: AWS may return
//! shapes newer than our copy of the model, and rejecting them would break reads for no gain.
//! That is why this module offers a check of *policy input* and nothing that parses AWS output.

use regex::Regex;
use std::fmt;
use std::sync::LazyLock;

/// The kinds of identifier a user writes in a policy (or on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IdKind {
    /// `sso.instance_arn`.
    InstanceArn,
    /// `sso.identity_store_id`.
    IdentityStoreId,
    /// `guardrails.protected_accounts`, `keep.sso_accounts`.
    AccountId,
    /// Permission set ARNs (e.g. command-line filters).
    PermissionSetArn,
    /// `user_id` / `group_id`: the Identity Center principal id, which is also the Kendra entity id.
    PrincipalId,
    /// `user` and `guardrails.protected_users`: the Identity Store `userName`.
    UserName,
    /// `group` and `guardrails.protected_groups`: the Identity Store `displayName`.
    GroupDisplayName,
    /// The AppStream user name a leaver's `user` is looked up as, when AppStream is in scope.
    AppstreamUserName,
    /// `appstream.stacks`, `keep.appstream_stacks`.
    AppstreamStackName,
    /// `kendra.indexes[].id`.
    KendraIndexId,
    /// `kendra.indexes[].experiences`, `keep.kendra_experiences`.
    KendraExperienceId,
    /// `kendra.indexes[].data_sources`.
    KendraDataSourceId,
    /// `kendra_group_id`: the ACL group id of Kendra principal mappings.
    KendraGroupId,
}

impl IdKind {
    pub const ALL: [IdKind; 13] = [
        IdKind::InstanceArn,
        IdKind::IdentityStoreId,
        IdKind::AccountId,
        IdKind::PermissionSetArn,
        IdKind::PrincipalId,
        IdKind::UserName,
        IdKind::GroupDisplayName,
        IdKind::AppstreamUserName,
        IdKind::AppstreamStackName,
        IdKind::KendraIndexId,
        IdKind::KendraExperienceId,
        IdKind::KendraDataSourceId,
        IdKind::KendraGroupId,
    ];

    pub fn rule(self) -> &'static Rule {
        // RULES is declared in the order of the enum; a unit test pins that.
        &RULES[self as usize]
    }
}

/// What one kind of identifier must look like. Lengths count characters (Unicode scalar values),
/// as Smithy's `@length` does for strings. `pattern` is matched against the whole value.
#[derive(Debug)]
pub struct Rule {
    pub kind: IdKind,
    /// How messages call it, with its article: "an Identity Center instance ARN".
    pub noun: &'static str,
    /// botocore model directory (`sso-admin`, `identitystore`, `appstream`, `kendra`).
    pub model_service: &'static str,
    /// The model shape the value is sent as.
    pub model_shape: &'static str,
    pub min_len: Option<u64>,
    pub max_len: Option<u64>,
    /// Exactly as the model writes it (anchored or not); matched against the whole value.
    pub pattern: Option<&'static str>,
    /// The pattern in plain words, for patterns nobody can read at a glance.
    pub meaning: Option<&'static str>,
    /// A valid value, shown in messages.
    pub example: &'static str,
}

static RULES: [Rule; 13] = [
    Rule {
        kind: IdKind::InstanceArn,
        noun: "an Identity Center instance ARN",
        model_service: "sso-admin",
        model_shape: "InstanceArn",
        min_len: Some(10),
        max_len: Some(1224),
        pattern: Some("arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}"),
        meaning: None,
        example: "arn:aws:sso:::instance/ssoins-1234567890abcdef",
    },
    Rule {
        kind: IdKind::IdentityStoreId,
        noun: "an Identity Store id",
        model_service: "identitystore",
        model_shape: "IdentityStoreId",
        min_len: Some(1),
        max_len: Some(93),
        pattern: Some(
            "(arn:aws[a-z-]*:identitystore::\\d{12}:identitystore/)?(d-[0-9a-f]{10}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})",
        ),
        meaning: Some("d- and 10 lower-case hex digits, or a lower-case UUID, optionally as an identitystore ARN"),
        example: "d-1234567890",
    },
    Rule {
        kind: IdKind::AccountId,
        noun: "an AWS account id",
        model_service: "sso-admin",
        model_shape: "AccountId",
        min_len: Some(12),
        max_len: Some(12),
        pattern: Some("\\d{12}"),
        meaning: Some("exactly 12 digits, written as a quoted string so leading zeros survive"),
        example: "\"012345678901\"",
    },
    Rule {
        kind: IdKind::PermissionSetArn,
        noun: "a permission set ARN",
        model_service: "sso-admin",
        model_shape: "PermissionSetArn",
        min_len: Some(10),
        max_len: Some(1224),
        pattern: Some(
            "arn:aws(-[a-z]{1,5}){0,3}:sso:::permissionSet/(sso)?ins-[a-zA-Z0-9-.]{16}/ps-[a-zA-Z0-9-./]{16}",
        ),
        meaning: None,
        example: "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef",
    },
    Rule {
        kind: IdKind::PrincipalId,
        noun: "an Identity Store user or group id",
        model_service: "sso-admin",
        model_shape: "PrincipalId",
        min_len: Some(1),
        max_len: Some(47),
        pattern: Some("([0-9a-f]{10}-|)[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"),
        meaning: Some("a UUID, optionally prefixed by 10 lower-case hex digits and a dash"),
        example: "9067c7d3b0-1f2e3d4c-5b6a-4789-8abc-def012345678",
    },
    Rule {
        kind: IdKind::UserName,
        noun: "an Identity Store user name",
        model_service: "identitystore",
        model_shape: "UserName",
        min_len: Some(1),
        max_len: Some(128),
        pattern: Some("[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"),
        meaning: Some("letters, digits, marks, symbols and punctuation only: no spaces or control characters"),
        example: "alice@example.com",
    },
    Rule {
        kind: IdKind::GroupDisplayName,
        noun: "an Identity Store group display name",
        model_service: "identitystore",
        model_shape: "GroupDisplayName",
        min_len: Some(1),
        max_len: Some(1024),
        pattern: Some("[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}\\t\\n\\r \u{a0}\u{3000}]+"),
        meaning: Some("letters, digits, marks, symbols, punctuation and spaces; no control characters"),
        example: "Summer Interns",
    },
    Rule {
        kind: IdKind::AppstreamUserName,
        noun: "an AppStream user name",
        model_service: "appstream",
        model_shape: "Username",
        min_len: Some(1),
        max_len: Some(128),
        pattern: Some("[\\p{L}\\p{M}\\p{S}\\p{N}\\p{P}]+"),
        meaning: Some("letters, digits, marks, symbols and punctuation only: no spaces or control characters"),
        example: "alice@example.com",
    },
    Rule {
        kind: IdKind::AppstreamStackName,
        noun: "an AppStream stack name",
        model_service: "appstream",
        model_shape: "Name",
        min_len: None,
        max_len: None,
        pattern: Some("^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,100}$"),
        meaning: Some("1 to 101 characters of a-z A-Z 0-9 _ . -, starting with a letter or digit"),
        example: "engineering-desktop",
    },
    Rule {
        kind: IdKind::KendraIndexId,
        noun: "a Kendra index id",
        model_service: "kendra",
        model_shape: "IndexId",
        min_len: Some(36),
        max_len: Some(36),
        pattern: Some("[a-zA-Z0-9][a-zA-Z0-9-]*"),
        meaning: None,
        example: "4e2f1c8a-9b3d-4a5e-8f6c-1d2e3f4a5b6c",
    },
    Rule {
        kind: IdKind::KendraExperienceId,
        noun: "a Kendra experience id",
        model_service: "kendra",
        model_shape: "ExperienceId",
        min_len: Some(1),
        max_len: Some(36),
        pattern: Some("[a-zA-Z0-9][a-zA-Z0-9_-]*"),
        meaning: None,
        example: "support-portal",
    },
    Rule {
        kind: IdKind::KendraDataSourceId,
        noun: "a Kendra data source id",
        model_service: "kendra",
        model_shape: "DataSourceId",
        min_len: Some(1),
        max_len: Some(100),
        pattern: Some("[a-zA-Z0-9][a-zA-Z0-9_-]*"),
        meaning: None,
        example: "confluence-wiki",
    },
    Rule {
        kind: IdKind::KendraGroupId,
        noun: "a Kendra group id",
        model_service: "kendra",
        model_shape: "GroupId",
        min_len: Some(1),
        max_len: Some(1024),
        pattern: Some("^\\P{C}*$"),
        meaning: Some("any text without control characters"),
        example: "summer-interns",
    },
];

/// The compiled patterns, in the order of [`RULES`]. Wrapped as `^(?:…)$` so every pattern is a
/// whole-value match whether or not the model anchors it (botocore dropped anchors on newer ones).
/// A pattern that does not compile is `None`; the `every_rule_pattern_compiles` test makes sure
/// none is, so the fallback never decides anything in a released build.
static COMPILED: LazyLock<Vec<Option<Regex>>> =
    LazyLock::new(|| RULES.iter().map(|r| r.pattern.and_then(|p| Regex::new(&format!("^(?:{p})$")).ok())).collect());

impl Rule {
    /// The compiled whole-value pattern, if the rule has one.
    pub fn regex(&self) -> Option<&'static Regex> {
        COMPILED.get(self.kind as usize).and_then(Option::as_ref)
    }

    /// Checks a value the user wrote.
    pub fn check(&'static self, value: &str) -> Result<(), IdError> {
        let len = value.chars().count() as u64;
        let problem = if self.min_len.is_some_and(|min| len < min) {
            Some(Problem::TooShort { len })
        } else if self.max_len.is_some_and(|max| len > max) {
            Some(Problem::TooLong { len })
        } else if self.regex().is_some_and(|re| !re.is_match(value)) {
            Some(Problem::Pattern)
        } else {
            None
        };
        match problem {
            None => Ok(()),
            Some(problem) => Err(IdError { rule: self, value: shorten(value), problem }),
        }
    }

    /// The length rule in words: "exactly 12 characters", "1 to 128 characters".
    fn length_words(&self) -> Option<String> {
        match (self.min_len, self.max_len) {
            (Some(a), Some(b)) if a == b => Some(format!("exactly {a} characters")),
            (Some(a), Some(b)) => Some(format!("{a} to {b} characters")),
            (Some(a), None) => Some(format!("at least {a} characters")),
            (None, Some(b)) => Some(format!("at most {b} characters")),
            (None, None) => None,
        }
    }
}

/// Checks a value the user wrote against the rule of its kind.
pub fn check(kind: IdKind, value: &str) -> Result<(), IdError> {
    kind.rule().check(value)
}

/// Every rule, in [`IdKind::ALL`] order.
pub fn rules() -> &'static [Rule] {
    &RULES
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    TooShort { len: u64 },
    TooLong { len: u64 },
    Pattern,
}

/// A value that breaks its rule. Displays as
/// `"arn:aws:sso:::instance/foo" is not an Identity Center instance ARN: it must match … (e.g. …)`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct IdError {
    pub rule: &'static Rule,
    /// The value as written, shortened to 80 characters for messages.
    pub value: String,
    pub problem: Problem,
}

impl PartialEq for Rule {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}
impl Eq for Rule {}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = self.rule;
        write!(f, "{:?} is not {}: ", self.value, rule.noun)?;
        match self.problem {
            Problem::TooShort { len } | Problem::TooLong { len } => {
                let words = rule.length_words().unwrap_or_default();
                write!(f, "it must be {words} long, not {len}")?;
            }
            Problem::Pattern => match (rule.meaning, rule.pattern) {
                (Some(m), Some(p)) => write!(f, "it must be {m} (pattern {p})")?,
                (None, Some(p)) => write!(f, "it must match {p}")?,
                (_, None) => f.write_str("it is not valid")?,
            },
        }
        write!(f, " (e.g. {})", rule.example)
    }
}

/// Long values are cut for messages: a 10 000-character typo helps nobody on one line.
fn shorten(value: &str) -> String {
    const MAX: usize = 80;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
    }
}

/// Largest Kendra principal mapping `OrderingId` (model shape `PrincipalOrderingId`): milliseconds
/// since 1970 up to the year 3001.
pub const ORDERING_ID_MAX: i64 = 32_535_158_400_000;
/// Smallest Kendra `OrderingId`.
pub const ORDERING_ID_MIN: i64 = 0;

/// An `OrderingId` outside Kendra's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "OrderingId {0} is out of range: Kendra accepts {ORDERING_ID_MIN}..={ORDERING_ID_MAX} \
     (milliseconds since 1970-01-01 UTC); use the plan time in milliseconds"
)]
pub struct OrderingIdError(pub i64);

/// Checks a Kendra `OrderingId` the planner is about to fix into a plan.
pub fn check_ordering_id(id: i64) -> Result<(), OrderingIdError> {
    if (ORDERING_ID_MIN..=ORDERING_ID_MAX).contains(&id) { Ok(()) } else { Err(OrderingIdError(id)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_in_kind_order() {
        for (i, kind) in IdKind::ALL.iter().enumerate() {
            assert_eq!(RULES[i].kind, *kind);
            assert_eq!(*kind as usize, i);
        }
    }

    #[test]
    fn every_rule_pattern_compiles() {
        for rule in rules() {
            assert_eq!(rule.pattern.is_some(), rule.regex().is_some(), "{:?}", rule.kind);
        }
    }

    #[test]
    fn every_example_is_valid() {
        for rule in rules() {
            let example = rule.example.trim_matches('"');
            assert_eq!(check(rule.kind, example), Ok(()), "{:?}", rule.kind);
        }
    }

    #[test]
    fn instance_arn_message_states_the_rule() {
        let err = check(IdKind::InstanceArn, "arn:aws:sso:::instance/foo").unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"arn:aws:sso:::instance/foo\" is not an Identity Center instance ARN: it must match \
             arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16} \
             (e.g. arn:aws:sso:::instance/ssoins-1234567890abcdef)"
        );
    }

    #[test]
    fn length_is_checked_before_the_pattern() {
        let err = check(IdKind::KendraIndexId, "abc").unwrap_err();
        assert_eq!(err.problem, Problem::TooShort { len: 3 });
        assert!(err.to_string().contains("it must be exactly 36 characters long, not 3"), "{err}");
        let err = check(IdKind::UserName, &"a".repeat(129)).unwrap_err();
        assert_eq!(err.problem, Problem::TooLong { len: 129 });
        assert!(err.to_string().contains("1 to 128 characters long, not 129"), "{err}");
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        // 128 two-byte characters: 256 bytes, but 128 characters, which the model allows.
        assert_eq!(check(IdKind::UserName, &"é".repeat(128)), Ok(()));
    }

    #[test]
    fn patterns_are_whole_value_matches() {
        assert!(check(IdKind::AccountId, "123456789012").is_ok());
        // The unanchored model pattern \d{12} must not accept 12 digits inside a longer value.
        assert!(check(IdKind::KendraExperienceId, "ok-id").is_ok());
        assert!(check(IdKind::KendraExperienceId, "ok id").is_err());
        assert!(check(IdKind::KendraExperienceId, "-starts-with-dash").is_err());
    }

    #[test]
    fn kendra_group_ids_reject_control_characters() {
        assert!(check(IdKind::KendraGroupId, "summer interns").is_ok());
        let err = check(IdKind::KendraGroupId, "bad\u{7}id").unwrap_err();
        assert_eq!(err.problem, Problem::Pattern);
        // The value is shown escaped, so the message itself carries no control character.
        assert!(
            err.to_string().starts_with(
                "\"bad\\u{7}id\" is not a Kendra group id: it must be any text without control characters"
            ),
            "{err}"
        );
    }

    #[test]
    fn long_values_are_shortened_in_messages() {
        let err = check(IdKind::AppstreamStackName, &"x".repeat(500)).unwrap_err();
        assert_eq!(err.value.chars().count(), 81);
        assert!(err.value.ends_with('…'));
    }

    #[test]
    fn ordering_id_range() {
        assert_eq!(check_ordering_id(0), Ok(()));
        assert_eq!(check_ordering_id(ORDERING_ID_MAX), Ok(()));
        assert_eq!(check_ordering_id(ORDERING_ID_MAX + 1), Err(OrderingIdError(ORDERING_ID_MAX + 1)));
        let err = check_ordering_id(-1).unwrap_err();
        assert!(err.to_string().contains("0..=32535158400000"), "{err}");
    }
}
