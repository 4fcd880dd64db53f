//! Plans made by the real planner render consistently: the renderers' own cross-check between
//! actions and the per-principal view finds nothing, and every format agrees on the counts.
//! (The other render tests use hand-built plans so their snapshots do not move with the
//! planner; this one ties the two together.)

mod support;

use offboard_core::render::{self, Format, RenderOptions, summary_line};
use offboard_core::{PrincipalKind, PrincipalRef, plan};
use support::*;

fn planned() -> offboard_core::Plan {
    let alice = PrincipalRef::user_name("alice@example.com");
    let alice_by_id = PrincipalRef::user_id(id(1));
    let interns = PrincipalRef::group_name("Summer Interns");
    let ghost = PrincipalRef::user_name("ghost@example.com");
    let mut interns_leaver = leaver(interns.clone());
    interns_leaver.kendra_group_id = Some("summer-interns".into());
    let p = policy(vec![leaver(alice.clone()), leaver(alice_by_id.clone()), interns_leaver, leaver(ghost)]);
    let alice_grants = [
        sso("111111111111", PS_ADMIN, PrincipalKind::User, &id(1)),
        sso("222222222222", PS_READ, PrincipalKind::User, &id(1)),
        stack("stack-a", "alice@example.com"),
        persona("exp-support", &id(1)),
    ];
    // The same person declared again by id (the adapter learns its userName): its grants are
    // planned once.
    let mut again = observed(alice_by_id, &id(1), alice_grants.clone());
    again.resolution = offboard_core::state::Resolution::found(id(1), Some("alice@example.com"));
    let s = state(vec![
        observed(alice, &id(1), alice_grants),
        again,
        observed(interns, &id(2), [mapping(Some("ds-wiki"), "summer-interns")]),
    ]);
    plan(&p, s.clone(), &inputs())
}

#[test]
fn planner_output_renders_without_warnings_in_every_format() {
    let plan = planned();
    assert_eq!(plan.removal_count(), 4, "sso 222, stack, persona, mapping");
    let line = summary_line(&plan.summary());
    assert_eq!(
        line,
        "Plan: 4 to remove (groups 0, sso 1, appstream 1, kendra 2), 5 skipped, 0 remain through groups, 1 not found."
    );

    let text = render::render(&plan, Format::Text, &RenderOptions::default());
    assert!(!text.contains("Warning"), "{text}");
    assert!(text.ends_with(&format!("{line}\n")));
    assert!(text.contains("      # skipped: already removed for user alice@example.com\n"), "{text}");

    let md = render::render(&plan, Format::Markdown, &RenderOptions::default());
    assert!(!md.contains("[!WARNING]"), "{md}");
    assert!(md.contains(&format!("**{line}**")));
    assert!(md.contains(&plan.digest()));
}
