//! The JSON renderer, the common `render` entry point, and the documented plan format.

mod render_common;

use offboard_core::Plan;
use offboard_core::plan::PlanFileError;
use offboard_core::render::{self, Format, MarkdownOptions, RenderOptions, TextOptions};
use render_common::*;

const PLAN_FORMAT_DOC: &str = include_str!("../../../docs/plan-format.md");

/// The one ```json block under "## Example" in docs/plan-format.md.
fn documented_example() -> &'static str {
    let example = PLAN_FORMAT_DOC.split("\n## Example\n").nth(1).expect("docs/plan-format.md has an Example section");
    let start = example.find("```json\n").expect("the Example section has a json block") + "```json\n".len();
    let len = example[start..].find("\n```").expect("the json block is closed") + 1;
    &example[start..start + len]
}

#[test]
fn json_is_the_plan_file() {
    let plan = small_plan();
    let json = render::render(&plan, Format::Json, &RenderOptions::default());
    assert_eq!(json, plan.to_json());
    assert_eq!(Plan::from_json(&json), Ok(plan));
}

#[test]
fn render_dispatches_to_each_format_with_its_options() {
    let plan = small_plan();
    let options = RenderOptions { text: TextOptions { color: true }, markdown: MarkdownOptions { max_chars: 2_000 } };
    assert_eq!(render::render(&plan, Format::Text, &options), render::text::render(&plan, &options.text));
    assert!(render::render(&plan, Format::Text, &options).contains('\x1b'));
    let md = render::render(&plan, Format::Markdown, &options);
    assert_eq!(md, render::markdown::render(&plan, &options.markdown));
    assert!(md.chars().count() <= 2_000);
    for format in Format::ALL {
        assert!(
            render::render(&plan, format, &RenderOptions::default()).ends_with('\n'),
            "{format} ends with a newline"
        );
    }
}

#[test]
fn formats_parse_from_their_names() {
    for format in Format::ALL {
        assert_eq!(format.to_string().parse::<Format>(), Ok(format));
    }
    assert_eq!("md".parse::<Format>(), Ok(Format::Markdown));
    let err = "yaml".parse::<Format>().unwrap_err();
    assert_eq!(err.to_string(), "unknown output format `yaml`: use one of text, markdown, json");
}

#[test]
fn documented_example_parses_and_is_canonical() {
    let example = documented_example();
    let plan = Plan::from_json(example).unwrap_or_else(|e| panic!("docs/plan-format.md example: {e}"));
    assert_eq!(plan.to_json(), example, "the example is exactly what offboard writes");
    assert_eq!(plan, doc_example_plan(), "the example is the plan the tests build");
}

#[test]
fn documented_example_shows_every_grant_kind_and_operation() {
    let example = documented_example();
    for needle in [
        "\"sso_assignment\"",
        "\"appstream_association\"",
        "\"kendra_persona\"",
        "\"kendra_group_mapping\"",
        "\"group_membership\"",
        "\"kendra_experience_entity\"",
        "\"DeleteGroupMembership\"",
        "\"DisassociateEntitiesFromExperience\"",
        "\"remains\"",
        "\"DeleteAccountAssignment\"",
        "\"BatchDisassociateUserStack\"",
        "\"DisassociatePersonasFromEntities\"",
        "\"DeletePrincipalMapping\"",
        "\"not_found\"",
        "\"protected\"",
    ] {
        assert!(example.contains(needle), "the documented example shows {needle}");
    }
}

#[test]
fn other_format_versions_are_refused_as_documented() {
    let example = documented_example().replacen("\"format_version\": 3,", "\"format_version\": 2,", 1);
    assert_eq!(Plan::from_json(&example), Err(PlanFileError::Version { found: 2 }));
    let unknown_field = documented_example().replacen("{\n", "{\n  \"extra\": true,\n", 1);
    assert!(matches!(Plan::from_json(&unknown_field), Err(PlanFileError::Syntax { .. })));
}

#[test]
fn every_top_level_field_is_documented() {
    let value: serde_json::Value = serde_json::from_str(&small_plan().to_json()).unwrap();
    for key in value.as_object().unwrap().keys() {
        assert!(PLAN_FORMAT_DOC.contains(&format!("| `{key}` |")), "docs/plan-format.md documents `{key}`");
    }
}
