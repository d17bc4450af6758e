//! Executable memory for translated code: one fixed host mapping used as a bump arena, never
//! writable and executable at the same time (W^X).
//!
//! The arena is a memfd mapped twice: a read-write view that code is copied into and a
//! read-execute view it runs from (the two share their pages), so there is no window in which
//! a page is both writable and executable and no `mprotect` call per translation.
//!
//! Cranelift compiles each block to position-independent bytes without relocations (helpers are
//! called through addresses given as immediates), so code is simply copied here. The arena
//! never moves; a flush resets it to just after the pinned prefix (the entry trampoline), which
//! is the "whole-cache flush when full" policy. Freeing is only ever done while no translated
//! code runs (the engine flushes from its dispatch loop).

use std::io;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};

/// One live arena as the fork handler sees it: the two views, the size, and how many bytes
/// from the start are in use (only those are copied into the child).
struct Arena {
    rw: usize,
    rx: usize,
    size: usize,
    used: Arc<AtomicUsize>,
}

/// Every live arena, for the fork handler.
static ARENAS: Mutex<Vec<Arena>> = Mutex::new(Vec::new());
static ATFORK: Once = Once::new();
/// Forks this process went through (counted in the child), see [`fork_epoch`].
static FORK_EPOCH: AtomicU64 = AtomicU64::new(0);

/// A number that changes in the child of every `fork()` (the engines use it to notice that
/// the threads they shared code with are gone).
pub fn fork_epoch() -> u64 {
    FORK_EPOCH.load(Ordering::Relaxed)
}

/// In the child of a `fork()`: the two views of every arena still map the parent's memfd, so
/// code the child translates would overwrite the parent's. Give each arena a private copy at
/// the same addresses (code pointers in the child's caches stay valid). A child that cannot do
/// so ends at once rather than corrupt its parent.
extern "C" fn privatize_after_fork() {
    FORK_EPOCH.fetch_add(1, Ordering::Relaxed);
    let arenas = ARENAS.lock().unwrap_or_else(|e| e.into_inner());
    for a in arenas.iter() {
        let used = a
            .used
            .load(Ordering::Relaxed)
            .next_multiple_of(4096)
            .min(a.size);
        if privatize(a.rw as *mut u8, a.rx as *mut u8, a.size, used).is_err() {
            let msg = b"xlate: cannot copy the JIT code memory after fork\n";
            // SAFETY: writing a static buffer to stderr, then ending this (child) process
            // without running anything else of the parent's state.
            unsafe {
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::_exit(125);
            }
        }
    }
}

/// Replaces the memfd behind the views `rw`/`rx` of `size` bytes by a fresh copy of its first
/// `used` bytes (the rest of the new file is unallocated zeros, as the unused arena is; a
/// fork costs the code in use, not the cache's capacity).
fn privatize(rw: *mut u8, rx: *mut u8, size: usize, used: usize) -> io::Result<()> {
    // SAFETY: creating an anonymous memory file; the name is a NUL-terminated literal.
    let fd = unsafe { libc::memfd_create(c"xlate-jit-code".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let r = (|| {
        // SAFETY: sizing our own fresh memfd.
        if unsafe { libc::ftruncate(fd, size as libc::off_t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        if used > 0 {
            let tmp = map_view(fd, used, libc::PROT_READ | libc::PROT_WRITE)?;
            // SAFETY: `rw` is a live readable view of `size >= used` bytes (the arena) and
            // `tmp` a fresh writable mapping of `used` bytes; they are distinct mappings.
            unsafe {
                std::ptr::copy_nonoverlapping(rw, tmp, used);
                libc::munmap(tmp.cast(), used);
            }
        }
        for (at, prot) in [
            (rw, libc::PROT_READ | libc::PROT_WRITE),
            (rx, libc::PROT_READ | libc::PROT_EXEC),
        ] {
            // SAFETY: replaces exactly the arena's own view at its own address (MAP_FIXED over
            // a mapping this module created) with the copy; nothing else is affected.
            let p = unsafe {
                libc::mmap(
                    at.cast(),
                    size,
                    prot,
                    libc::MAP_SHARED | libc::MAP_FIXED,
                    fd,
                    0,
                )
            };
            if p == libc::MAP_FAILED {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    })();
    // SAFETY: the mappings keep the file alive; the descriptor is ours to close.
    unsafe { libc::close(fd) };
    r
}

/// Alignment of each function placed in the arena.
const ALIGN: usize = 16;

/// A fixed-size arena with a writable and an executable view.
pub struct CodeMem {
    /// The read-write view (code is written here).
    rw: *mut u8,
    /// The read-execute view of the same pages (code runs from here).
    rx: *mut u8,
    size: usize,
    used: usize,
    /// `used`, for the fork handler.
    mark: Arc<AtomicUsize>,
    /// Bytes at the start that survive a reset (the trampoline).
    pinned: usize,
    /// The host-checked accesses of the code (see [`super::fault`]), where the host has them.
    sites: Option<super::fault::SiteMap>,
}

// SAFETY: `CodeMem` owns its two mappings (the raw pointers are not aliased by any other
// Rust value); moving it to another thread moves that ownership, and all mutation goes
// through `&mut self` (the shared code cache keeps it under a mutex).
unsafe impl Send for CodeMem {}

/// Maps `size` bytes of `fd` shared with protection `prot`.
fn map_view(fd: libc::c_int, size: usize, prot: libc::c_int) -> io::Result<*mut u8> {
    // SAFETY: a fresh shared mapping of our own memfd at a kernel-chosen address; no existing
    // memory is affected. MAP_FAILED is checked below.
    let ptr = unsafe { libc::mmap(std::ptr::null_mut(), size, prot, libc::MAP_SHARED, fd, 0) };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(ptr.cast())
}

impl CodeMem {
    /// Maps `size` bytes (rounded up to whole host pages) of code memory, twice.
    pub fn new(size: usize) -> io::Result<Self> {
        let size = size.max(ALIGN).next_multiple_of(4096);
        // SAFETY: creating an anonymous memory file; the name is a NUL-terminated literal.
        let fd = unsafe { libc::memfd_create(c"xlate-jit-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let views = (|| {
            // SAFETY: `fd` is the memfd we just created; sizing it has no other effect.
            if unsafe { libc::ftruncate(fd, size as libc::off_t) } != 0 {
                return Err(io::Error::last_os_error());
            }
            let rw = map_view(fd, size, libc::PROT_READ | libc::PROT_WRITE)?;
            match map_view(fd, size, libc::PROT_READ | libc::PROT_EXEC) {
                Ok(rx) => Ok((rw, rx)),
                Err(e) => {
                    // SAFETY: unmapping the view mapped just above, unused so far.
                    unsafe { libc::munmap(rw.cast(), size) };
                    Err(e)
                }
            }
        })();
        // SAFETY: the mappings (if any) keep the file alive; the descriptor is ours to close.
        unsafe { libc::close(fd) };
        let (rw, rx) = views?;
        ATFORK.call_once(|| {
            // SAFETY: registers a child handler that only touches arenas this module mapped.
            unsafe { libc::pthread_atfork(None, None, Some(privatize_after_fork)) };
        });
        let mark = Arc::new(AtomicUsize::new(0));
        ARENAS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arena {
                rw: rw as usize,
                rx: rx as usize,
                size,
                used: Arc::clone(&mark),
            });
        Ok(Self {
            rw,
            rx,
            size,
            used: 0,
            mark,
            pinned: 0,
            sites: super::fault::SiteMap::new(rx as usize, size),
        })
    }

    /// Whether host-checked accesses can be registered ([`CodeMem::install_with_sites`]).
    pub fn has_sites(&self) -> bool {
        self.sites.is_some()
    }

    /// [`CodeMem::install`], then registers the host-checked accesses at offsets `sites` of
    /// `code`, each with the offset its gap starts at (each checked to have its landing
    /// pad). None when the arena is full, or when there are sites and no site map (the code
    /// must not run then).
    pub fn install_with_sites(&mut self, code: &[u8], sites: &[(u32, u32)]) -> Option<*const u8> {
        if !sites.is_empty() && self.sites.is_none() {
            return None;
        }
        let at = self.install(code)?;
        if let Some(m) = &self.sites {
            let start = at as usize - self.rx as usize;
            for &(s, b) in sites {
                m.mark(start + s as usize, start + b as usize);
            }
        }
        Some(at)
    }

    /// Copies `code` into the arena; returns its executable address, `None` when it is full.
    pub fn install(&mut self, code: &[u8]) -> Option<*const u8> {
        let at = self.used.next_multiple_of(ALIGN);
        let end = at.checked_add(code.len())?;
        if end > self.size {
            return None;
        }
        // SAFETY: [at, end) lies inside both views (checked above) and is not in use by any
        // installed function (the bump pointer only moves forward until a reset, and resets
        // happen while no translated code runs).
        let (dst, exec) = unsafe { (self.rw.add(at), self.rx.add(at)) };
        // SAFETY: `dst` is valid for `code.len()` writable bytes (above); the slices cannot
        // overlap because `code` is a Rust-owned buffer outside our mapping.
        unsafe { std::ptr::copy_nonoverlapping(code.as_ptr(), dst, code.len()) };
        // SAFETY: the range was just written through the other view; clearing the icache for
        // the executable addresses is required on hosts with incoherent instruction caches
        // and a no-op elsewhere.
        unsafe {
            let _ = wasmtime_internal_jit_icache_coherence::clear_cache(exec.cast(), code.len());
        }
        self.used = end;
        self.mark.store(end, Ordering::Relaxed);
        Some(exec.cast_const())
    }

    /// Makes everything installed so far survive [`CodeMem::reset`].
    pub fn pin(&mut self) {
        self.pinned = self.used;
    }

    /// Forgets every unpinned function. The caller guarantees none of them runs or is reachable
    /// (code pointers to them have been dropped from every cache and chain slot).
    pub fn reset(&mut self) {
        if let Some(m) = &self.sites {
            m.clear(self.pinned, self.used);
        }
        self.used = self.pinned;
        self.mark.store(self.used, Ordering::Relaxed);
    }

    /// Bytes in use.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Capacity in bytes.
    pub fn size(&self) -> usize {
        self.size
    }
}

impl Drop for CodeMem {
    fn drop(&mut self) {
        ARENAS
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|a| a.rw != self.rw as usize);
        // SAFETY: unmapping the two views this struct created, once; the engine that owns
        // them never runs translated code after dropping it.
        unsafe {
            libc::munmap(self.rw.cast(), self.size);
            libc::munmap(self.rx.cast(), self.size);
        }
    }
}
