//! Engine benchmarks on project-written guest workloads (testsuites/linux/src/bench_*.c):
//! each workload is loaded and run to completion by an engine, and criterion reports the
//! throughput in guest instructions per second. `cargo bench --bench engines`.
//!
//! Each workload runs under the interpreter (the baseline) and the JIT with its default
//! settings (tiering included), so the two throughputs compare the engines directly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use runtime::linux::{self, loader, Exit, Options, Process};
use runtime::mem::GuestMemory;
use translator::CpuState;

fn workload(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testsuites/linux/bin")
        .join(name)
}

/// Loads `prog` into a fresh process and runs it with `engine`; returns the instructions
/// retired. Panics if the guest does not exit 0 (a benchmark of a broken run means nothing).
fn run_engine(prog: &Path, engine: linux::Engine) -> u64 {
    let mem = Arc::new(GuestMemory::new().expect("reserve guest memory"));
    let mut proc = Process::new(mem, prog.to_path_buf(), Options::default());
    let argv = vec![prog.as_os_str().as_encoded_bytes().to_vec()];
    let loaded = loader::load(&mut proc, prog, &argv, &[]).expect("load workload");
    let mut cpu = CpuState {
        pc: loaded.entry,
        ..CpuState::default()
    };
    cpu.x[2] = loaded.sp;
    let (exit, stats, _) = linux::run(proc, cpu, engine).expect("set up the engine");
    assert_eq!(exit, Exit::Code(0), "{} failed", prog.display());
    stats.instructions
}

fn engines(c: &mut Criterion) {
    for name in ["bench_sieve", "bench_fib", "bench_fp"] {
        let prog = workload(name);
        let insns = run_engine(&prog, linux::Engine::Interp);
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Elements(insns));
        g.sample_size(10);
        g.bench_function("interp", |b| {
            b.iter(|| run_engine(&prog, linux::Engine::Interp))
        });
        g.bench_function("jit", |b| {
            b.iter(|| run_engine(&prog, linux::Engine::Jit(Default::default())))
        });
        g.finish();
    }
}

criterion_group!(benches, engines);
criterion_main!(benches);
