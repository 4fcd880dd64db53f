//! Planning at scale: 10,000 leavers against 100,000 observed grants (10 each: 4 Identity
//! Center assignments, 3 AppStream associations, 3 Kendra personas), a few protected or kept.
//! Run with `cargo bench -p offboard-core --bench plan`. Peak memory: run the bench binary under
//! `/usr/bin/time -v` (see the README's benchmark section).

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use offboard_core::{PrincipalKind, PrincipalRef, plan};
use std::hint::black_box;
use support::*;

// The offboard binary's allocator (see `crates/offboard-cli/src/main.rs`): the bench measures
// the planner as it runs there.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LEAVERS: usize = 10_000;

fn world() -> (offboard_core::Policy, offboard_core::ObservedState) {
    let mut leavers = Vec::with_capacity(LEAVERS);
    let mut observed_principals = Vec::with_capacity(LEAVERS);
    for n in 0..LEAVERS {
        let name = format!("user{n:05}@example.com");
        let who = PrincipalRef::user_name(name.clone());
        let mut l = leaver(who.clone());
        if n % 10 == 0 {
            l.keep.sso_accounts = vec!["222222222222".into()];
        }
        leavers.push(l);
        let pid = id(n);
        let mut grants = Vec::with_capacity(10);
        for a in 0..4 {
            let account = format!("{:012}", 111_111_111_111u64 * (a + 1) % 1_000_000_000_000);
            grants.push(sso(&account, if a % 2 == 0 { PS_ADMIN } else { PS_READ }, PrincipalKind::User, &pid));
        }
        for s in 0..3 {
            grants.push(stack(&format!("stack-{s}"), &name));
        }
        for e in 0..3 {
            grants.push(persona(&format!("exp-{e}"), &pid));
        }
        observed_principals.push(observed(who, &pid, grants));
    }
    (policy(leavers), state(observed_principals))
}

fn bench(c: &mut Criterion) {
    let (p, s) = world();
    let grants: usize = s.principals.iter().map(|o| o.grants.len()).sum();
    assert_eq!(grants, 100_000);
    let mut group = c.benchmark_group("plan");
    group.sample_size(10);
    // The planner consumes the observed state; each run gets its own copy, made outside the
    // timing (`iter_batched`).
    group.bench_function("10k leavers x 100k grants", |b| {
        b.iter_batched(|| s.clone(), |s| plan(black_box(&p), s, &inputs()), BatchSize::LargeInput)
    });
    group.bench_function("10k leavers x 100k grants + json", |b| {
        b.iter_batched(|| s.clone(), |s| plan(black_box(&p), s, &inputs()).to_json(), BatchSize::LargeInput)
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
