//! Compile time of the ReLU relaxation: `cnr_lower::lower` from a checked model to the finished
//! `ConeProgram` (A in compressed columns), at n = 2,000 and n = 20,000 samples with K = 16 patches
//! of d = 32 (about 1.1 M and 11 M non-zeros).
//!
//! ```text
//! cargo bench -p cnr-lower --bench compile
//! ```

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::time::Duration;

/// The issue's model: input 512, kernel 32, stride 32 (K = 16, d = 32), relu, `samples` planted
/// samples.
fn model(samples: usize) -> cnr_check::Model {
    let text = format!(
        "network {{ input 512 conv kernel 32 stride 32 activation relu output ones }}
         data planted {{ samples {samples} seed 1 }}"
    );
    let file = cnr_syntax::parse(&text).expect("the benchmark model parses");
    cnr_check::check(&file, "bench", &cnr_check::MemoryFiles::default(), &cnr_check::Overrides::default())
        .expect("the benchmark model checks")
}

fn compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("lower_relu");
    // Few samples and a short measurement keep the whole run near a minute on a shared 2-core
    // machine; the large case takes a good fraction of a second per iteration.
    group.sample_size(10).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(8));
    for samples in [2_000, 20_000] {
        let model = model(samples);
        let nnz = cnr_lower::lower(&model).a.nnz();
        group.throughput(Throughput::Elements(nnz as u64));
        group.bench_function(format!("n={samples}"), |b| b.iter(|| cnr_lower::lower(&model)));
    }
    group.finish();
}

criterion_group!(benches, compile);
criterion_main!(benches);
