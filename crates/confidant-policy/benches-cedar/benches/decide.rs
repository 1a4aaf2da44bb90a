//! Decisions per second for each built-in policy, and cedar-policy 4
//! answering the same policy's disclosure question on the same situations,
//! in the same run. Before timing, every situation is checked: Cedar must
//! allow exactly when the engine's outcome is a disclosure.

use cedar_policy::{Authorizer, Decision as CedarDecision, Entities};
use confidant_policy::Policy;
use confidant_policy_bench::{cedar_setup, situations};
use criterion::{Criterion, Throughput, black_box, criterion_group, criterion_main};

const N: usize = 1024;

fn bench(c: &mut Criterion) {
    let sits = situations(N, 0x5eed);
    let names: Vec<&str> = Policy::builtin_names().collect();

    let mut load = c.benchmark_group("load");
    for name in &names {
        load.bench_function(*name, |b| {
            b.iter(|| Policy::builtin(black_box(name)).unwrap())
        });
    }
    load.finish();

    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(1));
    for name in &names {
        let policy = Policy::builtin(name).unwrap();
        let mut i = 0usize;
        g.bench_function(format!("confidant/{name}"), |b| {
            b.iter(|| {
                i = (i + 1) % N;
                policy.decide(black_box(&sits[i])).unwrap()
            })
        });

        let (set, requests) = cedar_setup(&policy, &sits);
        let authorizer = Authorizer::new();
        let entities = Entities::empty();
        for (s, r) in sits.iter().zip(&requests) {
            let ours = policy.decide(s).unwrap().outcome.is_disclosure();
            let theirs =
                authorizer.is_authorized(r, &set, &entities).decision() == CedarDecision::Allow;
            assert_eq!(ours, theirs, "{name}: engines disagree on {s:?}");
        }
        let mut j = 0usize;
        g.bench_function(format!("cedar/{name}"), |b| {
            b.iter(|| {
                j = (j + 1) % N;
                authorizer
                    .is_authorized(black_box(&requests[j]), &set, &entities)
                    .decision()
            })
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
