//! Large buffers. Fresh memory reaches a process a page at a time, when it is first touched; on
//! the virtual machines this project runs on each 4 KiB fault costs microseconds, so the gigabytes
//! of a large sample spend seconds in the kernel rather than in the draws (1.6 GB touched: 4.0 s
//! with 4 KiB pages, 0.2–2.4 s when advised for 2 MiB pages, which compact memory on first use).
//! Linux's transparent huge pages take 512 times fewer faults where the memory is advised for them,
//! which is what the kernel's usual setting (`madvise`) asks for.

/// Buffers of at least this many bytes are advised for huge pages.
const ADVISE_FROM: usize = 4 << 20;

/// An empty vector with room for `capacity` elements, advised for huge pages when it is large.
pub fn with_capacity<T>(capacity: usize) -> Vec<T> {
    let v = Vec::with_capacity(capacity);
    advise_huge_pages(&v);
    v
}

/// `len` zeros, advised for huge pages when there are many.
pub fn zeros(len: usize) -> Vec<f64> {
    let mut v = with_capacity(len);
    v.resize(len, 0.0);
    v
}

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
fn advise_huge_pages<T>(v: &Vec<T>) {
    const PAGE: usize = 4096;
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < ADVISE_FROM {
        return;
    }
    // The whole pages inside the allocation: madvise takes a page-aligned start.
    let start = (v.as_ptr() as usize).div_ceil(PAGE) * PAGE;
    let end = (v.as_ptr() as usize + bytes) / PAGE * PAGE;
    if end > start {
        // SAFETY: MADV_HUGEPAGE is advice on how to back the range; it changes neither the
        // contents nor the validity of any memory, and the range lies inside this vector's own
        // allocation. Its result is ignored: without the advice the memory works the same, slower.
        unsafe {
            libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
        }
    }
}

#[cfg(not(target_os = "linux"))]
fn advise_huge_pages<T>(_: &Vec<T>) {}

#[cfg(test)]
mod tests {
    #[test]
    fn buffers_hold_what_a_vector_holds() {
        for len in [0, 1, 1000, (8 << 20) / 8 + 3] {
            let z = super::zeros(len);
            assert_eq!(z.len(), len);
            assert!(z.iter().all(|&v| v == 0.0));
            let mut v: Vec<u8> = super::with_capacity(len);
            assert!(v.capacity() >= len && v.is_empty());
            v.extend((0..len).map(|i| i as u8));
            assert!(v.iter().enumerate().all(|(i, &b)| b == i as u8));
        }
    }
}
