//! Plan files (`offboard apply plan.json`, `offboard show plan.json`) are untrusted input: every
//! input must parse or give an error, and a parsed plan must digest, render in every format,
//! read back equal after `to_json`, and be checked by `apply`'s authority check against the
//! example policy (`policies/`) with the plan's own resolutions, without a panic.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use offboard_core::authority::authorize;
use offboard_core::plan::Plan;
use offboard_core::policy::{Policy, Source, load};
use offboard_core::render::{self, Format, RenderOptions};
use time::OffsetDateTime;

fn policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let source = |path: &str, text: &str| Source { path: path.to_owned(), text: text.to_owned() };
        let config = source("policies/offboard.yaml", include_str!("../../policies/offboard.yaml"));
        let leavers = [
            source("policies/groups/interns.yaml", include_str!("../../policies/groups/interns.yaml")),
            source(
                "policies/leavers/2026-11-alice-wong.yaml",
                include_str!("../../policies/leavers/2026-11-alice-wong.yaml"),
            ),
            source(
                "policies/leavers/2026-11-platform-team.yaml",
                include_str!("../../policies/leavers/2026-11-platform-team.yaml"),
            ),
        ];
        load(&config, &leavers).expect("the example policy loads")
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let plan = match Plan::from_json(text) {
        Ok(plan) => plan,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    let _ = plan.summary();
    let _ = plan.removal_count();
    let _ = plan.digest();
    for format in Format::ALL {
        let _ = render::render(&plan, format, &RenderOptions::default());
    }
    let again = Plan::from_json(&plan.to_json()).expect("a written plan reads back");
    assert_eq!(again, plan, "a plan changed in a write/read round trip");

    // 2026-11-21T10:00:00Z, an hour after the documented example plan was made.
    let now = OffsetDateTime::from_unix_timestamp(1_795_255_200).expect("a valid time");
    let resolved =
        plan.principals.iter().map(|p| (p.principal.clone(), p.resolution.clone())).collect::<BTreeMap<_, _>>();
    // The groups of the plan's memberships, named as the plan's labels name them.
    let group_names: BTreeMap<String, String> = plan
        .actions
        .iter()
        .flat_map(|a| a.items.iter().filter_map(|i| i.grant.group_id()))
        .filter_map(|g| plan.labels.get(g).map(|n| (g.to_owned(), n.clone())))
        .collect();
    let _ = plan.incomplete();
    if let Err(refused) = authorize(&plan, policy(), now, &resolved, &group_names) {
        assert!(!refused.is_empty(), "refused without a reason");
        for r in &refused {
            let _ = r.to_string();
        }
    }
});
