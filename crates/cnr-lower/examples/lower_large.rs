//! Compile time and peak memory of lowering the ReLU relaxation at n = 20,000, K = 16, d = 32
//! (about 11 M non-zeros), the benchmark case of bench/README.md.
//!
//! ```text
//! cargo run --release -p cnr-lower --example lower_large [-- SAMPLES [RUNS]]
//! ```
//!
//! Memory is measured two ways, both as growth during `lower()` only (the model and its data exist
//! before): the heap bytes live at the peak, counted by a wrapping global allocator (exact, and
//! independent of what the C allocator keeps from earlier frees), and the growth of the resident set
//! (`VmHWM` after lowering minus `VmRSS` before, with the high-water mark reset through
//! `/proc/self/clear_refs` where the kernel allows it). Both are compared with twice the size of the
//! final matrices (`A` as colptr + rowval + nzval, `b` and `q`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// Counts live heap bytes and their peak, so that the peak of one phase can be read exactly.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn grew(bytes: usize) {
    let now = LIVE.fetch_add(bytes, Ordering::Relaxed) + bytes;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counters only observe.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// A field of `/proc/self/status` in bytes (0 where it cannot be read, e.g. off Linux).
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map_or(0, |kb| kb * 1024)
}

fn mb(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let samples: usize = args.next().map_or(20_000, |s| s.parse().expect("SAMPLES is a number"));
    let runs: usize = args.next().map_or(5, |s| s.parse().expect("RUNS is a number"));
    let text = format!(
        "network {{ input 512 conv kernel 32 stride 32 activation relu output ones }}
         data planted {{ samples {samples} seed 1 }}"
    );
    let file = cnr_syntax::parse(&text).expect("the benchmark model parses");
    let model = cnr_check::check(
        &file,
        "bench",
        &cnr_check::MemoryFiles::default(),
        &cnr_check::Overrides::default(),
    )
    .expect("the benchmark model checks");

    // The first run measures memory; the high-water mark can only be reset once per phase.
    let heap_before = LIVE.load(Ordering::Relaxed);
    PEAK.store(heap_before, Ordering::Relaxed);
    let hwm_reset = std::fs::write("/proc/self/clear_refs", "5").is_ok();
    let rss_before = status_bytes("VmRSS");
    let start = Instant::now();
    let program = cnr_lower::lower(&model);
    let first = start.elapsed().as_secs_f64();
    let heap_peak = PEAK.load(Ordering::Relaxed) - heap_before;
    let rss_peak = status_bytes("VmHWM").saturating_sub(rss_before);

    let a = &program.a;
    let words = std::mem::size_of::<usize>();
    let a_bytes = a.colptr.len() * words + a.rowval.len() * words + a.nzval.len() * 8;
    let (b_bytes, q_bytes) = (program.b.len() * 8, program.q.len() * 8);
    let final_bytes = a_bytes + b_bytes + q_bytes;
    let (rows, cols, nnz) = (a.m, a.n, a.nnz());

    // Further runs for the time; the best of them is reported because the machine is shared.
    let mut times = vec![first];
    drop(program);
    for _ in 1..runs {
        let start = Instant::now();
        let p = cnr_lower::lower(&model);
        times.push(start.elapsed().as_secs_f64());
        drop(p);
    }
    let best = times.iter().copied().fold(f64::INFINITY, f64::min);
    let median = {
        let mut t = times.clone();
        t.sort_by(f64::total_cmp);
        t[t.len() / 2]
    };

    println!("model          n = {samples}, K = 16, d = 32, relu");
    println!("program        {rows} rows × {cols} columns, nnz(A) = {nnz}");
    println!("lower()        best {:.3} s, median {:.3} s over {runs} runs", best, median);
    println!("final size     {} (A {}, b {}, q {})", mb(final_bytes), mb(a_bytes), mb(b_bytes), mb(q_bytes));
    println!(
        "peak growth    heap {} = {:.2}× final; resident {} = {:.2}× final{}",
        mb(heap_peak),
        heap_peak as f64 / final_bytes as f64,
        mb(rss_peak),
        rss_peak as f64 / final_bytes as f64,
        if hwm_reset { "" } else { " (VmHWM could not be reset: an upper bound)" }
    );
    println!("target         under 0.3 s and under 2× final ({})", mb(2 * final_bytes));
}
