//! User-mode guest memory: the whole guest address space lives in one reserved host region.
//!
//! The region is `GUEST_SPACE` bytes of host address space reserved with `PROT_NONE`; guest
//! address `a` is host address `base + a`. Guest page permissions live in a side table, one byte
//! per 4 KiB page, checked by the interpreter, the system-call layer and translated stores. A
//! denied access is an `Exception` (a page fault), which the Linux layer turns into SIGSEGV.
//!
//! Where the host can resume translated code after a fault (x86-64 Linux, see
//! `translator::jit::fault`), host protections follow the guest's: a page the guest may store
//! to inline (writable, holding no code) is host read-write, one it may only read (read-only,
//! or holding code: a store to it must drop that code) host read-only, any other page of the
//! region (unmapped, `PROT_NONE`, execute-only) host `PROT_NONE`, and so is one guard page
//! after the region. Translated loads and stores then check only the address space's bound and
//! let the host MMU do the rest ([`FastMem::with_host_loads`]). Host-side stores open pages
//! holding code first (and ask for the code to be dropped).
//! Elsewhere, mapped guest pages are always host read-write and the table is the only check.
//! Either way no guest access, however wild, reaches host memory outside the region.
//!
//! [`FastMem::with_host_loads`]: translator::interp::FastMem::with_host_loads
//!
//! Guest page size is 4096 bytes, as on riscv64 Linux; the host page size must be 4096 too.

use std::sync::atomic::{AtomicU16, AtomicU32, AtomicU64, AtomicU8, Ordering};

use translator::emit::{AmoOp, Width};
use translator::{Cause, Exception};

/// Size of the guest address space: 2^38 bytes, the user half of Sv39 (256 GiB).
pub const GUEST_SPACE: u64 = 1 << 38;
pub const PAGE_SIZE: u64 = 4096;
pub const PAGE_SHIFT: u32 = 12;
const NPAGES: u64 = GUEST_SPACE >> PAGE_SHIFT;
// Translated code and the interpreter check guest pages of this size inline.
const _: () = assert!(PAGE_SHIFT == translator::interp::FastMem::PAGE_SHIFT);
/// Where the reservation starts when it can sit at host address `LOW_FLOOR` (see
/// [`GuestMemory::new`]): guest pages below it are never mapped, as on Linux, whose
/// `vm.mmap_min_addr` is 64 KiB.
const LOW_FLOOR: u64 = 0x10000;
/// The permission table, followed by one page holding a zero guard byte at `NPAGES` (see
/// [`translator::interp::FastMem::new`]), the "code changed" flag at `DIRTY` and, at
/// `CHANGED`, which code changed since the flag was last taken: 0 for nothing known,
/// `vpn + 1` for guest stores into page `vpn` only, [`CHANGED_ALL`] for anything else.
/// Then, at `SHADOW`, a second byte per page: the guest bits of a page marked
/// [`prot::BUS`] (its entry in the table holds only `MAPPED | BUS`).
const SHADOW: usize = NPAGES as usize + PAGE_SIZE as usize;
const PERMS_LEN: usize = SHADOW + NPAGES as usize;
const DIRTY: usize = NPAGES as usize + 64;
const CHANGED: usize = NPAGES as usize + 72;
const CHANGED_ALL: u64 = u64::MAX;
/// Host address space reserved after the guest space: a `PROT_NONE` page that a
/// bound-checked access starting just below the top (up to 8 bytes) can reach.
const GUARD: u64 = PAGE_SIZE;

/// Guest page permission bits.
pub mod prot {
    pub const READ: u8 = 1;
    pub const WRITE: u8 = 2;
    pub const EXEC: u8 = 4;
    /// The page is mapped (possibly with no access).
    pub const MAPPED: u8 = 8;
    /// Decoded or translated code was made from this page (stores must flush it).
    pub const CODE: u8 = 16;
    /// Derived: `WRITE` and not `CODE`, kept by every write of a page's bits, so inline stores
    /// test one bit ([`translator::interp::FastMem::with_store_bit`]).
    pub const STORE: u8 = 32;
    /// A page of a file mapping that the host may not back: wholly past the end of its file
    /// when last looked (Linux raises SIGBUS there). Its entry is `MAPPED | BUS` alone, so
    /// every access takes the slow path, which asks the host again (the file may have grown,
    /// or the page been copied privately) and then either gives the page its guest bits back
    /// (kept in the shadow table meanwhile) or raises an access fault (SIGBUS in user mode).
    /// Host-side code never touches such a page, so a host SIGBUS there cannot end xlate.
    pub const BUS: u8 = 64;
}

/// Errors setting up or changing guest mappings (not guest faults).
#[derive(Debug, thiserror::Error)]
pub enum MemError {
    #[error("cannot reserve {size} bytes of host address space for the guest: {err}")]
    Reserve { size: u64, err: std::io::Error },
    #[error("guest range {addr:#x}+{len:#x} is outside the guest address space")]
    OutOfRange { addr: u64, len: u64 },
    #[error("host mapping call failed: {0}")]
    Host(std::io::Error),
    #[error("no free guest address range of {0:#x} bytes")]
    NoSpace(u64),
    #[error("mapping {0:#x} more bytes would exceed the guest memory limit")]
    Limit(u64),
}

/// The guest address space of one process.
pub struct GuestMemory {
    /// Host address of guest address 0: null when the reservation could be placed so that
    /// guest and host addresses are equal (then translated code uses guest addresses as host
    /// addresses, with no base to add), otherwise the reservation's start.
    base: *mut u8,
    /// The reservation: its start, and the lowest guest address it holds (`LOW_FLOOR` when
    /// `base` is null, else 0).
    reserved: *mut u8,
    floor: u64,
    /// One byte of `prot` bits per guest page (a lazily-committed anonymous host mapping).
    perms: *mut u8,
    /// Pages currently marked `CODE`, so a flush can clear exactly those marks.
    code_pages: std::sync::Mutex<Vec<u64>>,
    /// Guest memory may be written other than through this memory: a shared file mapping
    /// (the same pages mapped twice, the classic writable-plus-executable pair of a JIT,
    /// or written by another process), or `/proc/self/mem` opened. Decoded code can then
    /// change without a store the "code changed" flag sees, so `fence.i` drops it all.
    aliased: std::sync::atomic::AtomicBool,
    /// The guest's file mappings: a guest shrinking one of their files has the pages now
    /// past its end marked [`prot::BUS`] ([`GuestMemory::file_resized`]).
    files: std::sync::Mutex<Vec<FileRange>>,
    /// Guest pages currently mapped, and the most that may be (`--max-memory`).
    mapped_pages: AtomicU64,
    limit_pages: AtomicU64,
    /// What /proc/self/maps names mappings whose host memory is anonymous: the program
    /// image's segments (copied from the file) and the stack. Dropped where remapped.
    labels: std::sync::Mutex<Vec<Label>>,
    /// Host protections follow the guest's (see the module documentation), and the
    /// reservation's slot in the fault handler's region table.
    mirror: Option<usize>,
}

/// A name for a guest range in /proc/self/maps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub start: u64,
    pub end: u64,
    /// File offset of `start` (0 for pseudo-files).
    pub offset: u64,
    /// Device ("major:minor" in hex) and inode of the file, ("00:00", 0) for pseudo-files.
    pub dev: String,
    pub inode: u64,
    /// A path (the guest's view) or `[stack]`.
    pub name: Vec<u8>,
}

/// Guest range `[start, end)` mapped from file (`dev`, `ino`, as `fstat` gives them) at file
/// offset `offset`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct FileRange {
    start: u64,
    end: u64,
    offset: u64,
    dev: u64,
    ino: u64,
}

/// A record of a guest range at a file offset, which a mapping change cuts.
trait Span: Sized {
    fn span(&self) -> (u64, u64);
    /// The part `[start, end)` of this record (inside its span).
    fn part(&self, start: u64, end: u64) -> Self;
}

impl Span for Label {
    fn span(&self) -> (u64, u64) {
        (self.start, self.end)
    }
    fn part(&self, start: u64, end: u64) -> Self {
        Label {
            start,
            end,
            offset: self.offset + (start - self.start),
            ..self.clone()
        }
    }
}

impl Span for FileRange {
    fn span(&self) -> (u64, u64) {
        (self.start, self.end)
    }
    fn part(&self, start: u64, end: u64) -> Self {
        FileRange {
            start,
            end,
            offset: self.offset + (start - self.start),
            ..*self
        }
    }
}

/// Cuts `[start, end)` out of every record of `v`.
fn cut_out<T: Span>(v: &mut Vec<T>, start: u64, end: u64) {
    let mut out = Vec::with_capacity(v.len());
    for r in v.drain(..) {
        let (s, e) = r.span();
        if e <= start || s >= end {
            out.push(r);
            continue;
        }
        if s < start {
            out.push(r.part(s, start));
        }
        if e > end {
            out.push(r.part(end, e));
        }
    }
    *v = out;
}

// SAFETY: GuestMemory owns its two host mappings; all access goes through raw pointers derived
// from them with bounds checked against GUEST_SPACE / NPAGES. Concurrent guest threads share it
// the way threads share memory on real hardware (accesses are plain or atomic host accesses).
unsafe impl Send for GuestMemory {}
unsafe impl Sync for GuestMemory {}

/// The kernel's flags (`VmFlags` in /proc/self/smaps, such as `hg` for huge pages advised)
/// of the host mapping that holds host address `host`, if any: for checking what the host was
/// asked to do with guest memory.
pub fn host_vm_flags(host: u64) -> Option<Vec<String>> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
    let mut inside = false;
    for line in smaps.lines() {
        let range = line.split_whitespace().next().unwrap_or("");
        if let Some((lo, hi)) = range.split_once('-') {
            if let (Ok(lo), Ok(hi)) = (u64::from_str_radix(lo, 16), u64::from_str_radix(hi, 16)) {
                inside = (lo..hi).contains(&host);
                continue;
            }
        }
        if let Some(f) = line.strip_prefix("VmFlags:").filter(|_| inside) {
            return Some(f.split_whitespace().map(str::to_string).collect());
        }
    }
    None
}

fn last_err() -> std::io::Error {
    std::io::Error::last_os_error()
}

/// Page bits `p` with [`prot::STORE`] derived: set exactly when `WRITE` is and `CODE` is not.
fn with_store(p: u8) -> u8 {
    let store = if p & (prot::WRITE | prot::CODE) == prot::WRITE {
        prot::STORE
    } else {
        0
    };
    p & !prot::STORE | store
}

/// The access fault for a page fault's cause: the page is mapped but the host cannot back it
/// ([`prot::BUS`]).
fn access_fault(cause: Cause) -> Cause {
    match cause {
        Cause::LoadPageFault => Cause::LoadAccessFault,
        Cause::StorePageFault => Cause::StoreAccessFault,
        Cause::InstructionPageFault => Cause::InstructionAccessFault,
        c => c,
    }
}

/// Reads host memory at `at` into `buf` whatever its protection, and without a host fault
/// where the host cannot back it (a file page past the end of its file): through
/// `/proc/self/mem`, whose reads fail there. Opened per call: only cold paths read this way,
/// and a descriptor kept open would be the guest's to see, and after a `fork` would read the
/// parent's memory.
fn host_read(at: *const u8, buf: &mut [u8]) -> bool {
    use std::os::unix::fs::FileExt;
    std::fs::File::open("/proc/self/mem").is_ok_and(|f| f.read_exact_at(buf, at as u64).is_ok())
}

impl GuestMemory {
    /// Reserves the guest address space. Nothing is mapped yet.
    ///
    /// Where the host's low addresses are free (they usually are: x86-64 Linux puts programs
    /// and libraries above 2^46), the reservation is placed at host address `LOW_FLOOR` so
    /// that guest and host addresses are the same, as qemu-user does when it can: translated
    /// code then accesses guest memory without adding a base. Otherwise (another guest memory
    /// of this process holds them, say) the kernel picks the place.
    pub fn new() -> Result<Self, MemError> {
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE;
        let low_len = (GUEST_SPACE - LOW_FLOOR + GUARD) as usize;
        // SAFETY: anonymous PROT_NONE reservation; MAP_FIXED_NOREPLACE fails rather than
        // replace anything mapped there. Checked below.
        let low = unsafe {
            libc::mmap(
                LOW_FLOOR as *mut libc::c_void,
                low_len,
                libc::PROT_NONE,
                flags | libc::MAP_FIXED_NOREPLACE,
                -1,
                0,
            )
        };
        let (base, reserved, floor) = if low as u64 == LOW_FLOOR {
            // Guest address a is host address a; `base` keeps the reservation's provenance.
            let r: *mut u8 = low.cast();
            (r.wrapping_sub(LOW_FLOOR as usize), r, LOW_FLOOR)
        } else {
            if low != libc::MAP_FAILED {
                // A kernel without MAP_FIXED_NOREPLACE treated the address as a hint.
                // SAFETY: unmapping the reservation just made, which nothing uses.
                unsafe { libc::munmap(low, low_len) };
            }
            // SAFETY: anonymous PROT_NONE reservation at a kernel-chosen address; no existing
            // memory is affected. Checked for MAP_FAILED below.
            let r = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    (GUEST_SPACE + GUARD) as usize,
                    libc::PROT_NONE,
                    flags,
                    -1,
                    0,
                )
            };
            if r == libc::MAP_FAILED {
                return Err(MemError::Reserve {
                    size: GUEST_SPACE,
                    err: last_err(),
                });
            }
            (r.cast::<u8>(), r.cast::<u8>(), 0)
        };
        // SAFETY: as above, a fresh anonymous read-write mapping for the permission table.
        let perms = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                PERMS_LEN,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if perms == libc::MAP_FAILED {
            let err = last_err();
            // SAFETY: unmapping the reservation made just above.
            unsafe { libc::munmap(reserved.cast(), (GUEST_SPACE + GUARD - floor) as usize) };
            return Err(MemError::Reserve {
                size: PERMS_LEN as u64,
                err,
            });
        }
        let mirror = if std::env::var_os("XLATE_NO_HOST_PROTECT").is_none()
            && translator::jit::fault::install()
        {
            translator::jit::fault::add_region(
                reserved as usize,
                (GUEST_SPACE + GUARD - floor) as usize,
            )
        } else {
            None
        };
        Ok(Self {
            mirror,
            base,
            reserved,
            floor,
            perms: perms.cast(),
            code_pages: std::sync::Mutex::new(Vec::new()),
            aliased: std::sync::atomic::AtomicBool::new(false),
            files: std::sync::Mutex::new(Vec::new()),
            mapped_pages: AtomicU64::new(0),
            limit_pages: AtomicU64::new(u64::MAX),
            labels: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Host address of guest address 0 (translated code adds guest addresses to it).
    pub fn host_base(&self) -> *mut u8 {
        self.base
    }

    /// A range of guest addresses the reservation holds (host mappings may be made there).
    fn check_range(&self, addr: u64, len: u64) -> Result<(), MemError> {
        match addr.checked_add(len) {
            Some(end) if end <= GUEST_SPACE && (addr >= self.floor || len == 0) => Ok(()),
            _ => Err(MemError::OutOfRange { addr, len }),
        }
    }

    /// Names `label.start..label.end` in /proc/self/maps (until it is remapped or unmapped).
    pub fn add_label(&self, label: Label) {
        self.forget_labels(label.start, label.end);
        self.labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(label);
    }

    /// The labels overlapping nothing remapped since they were made.
    pub fn labels(&self) -> Vec<Label> {
        self.labels
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Cuts `[start, end)` out of every label and file range (a mapping change there).
    fn forget_labels(&self, start: u64, end: u64) {
        cut_out(
            &mut self.labels.lock().unwrap_or_else(|e| e.into_inner()),
            start,
            end,
        );
        cut_out(
            &mut self.files.lock().unwrap_or_else(|e| e.into_inner()),
            start,
            end,
        );
    }

    /// The mapped parts of the address space as (start, end, prot bits without CODE), one
    /// entry per run of pages with the same bits, in address order (for /proc/self/maps).
    pub fn mapped_runs(&self) -> Vec<(u64, u64, u8)> {
        const KEEP: u8 = prot::READ | prot::WRITE | prot::EXEC | prot::MAPPED;
        let mut runs: Vec<(u64, u64, u8)> = Vec::new();
        let mut page = 0u64;
        while page < NPAGES {
            // Skip unmapped stretches eight pages at a time.
            if page.is_multiple_of(8) && page + 8 <= NPAGES {
                // SAFETY: page + 8 <= NPAGES, inside the perms mapping; an unaligned read of
                // eight plain bytes.
                let w = unsafe {
                    std::ptr::read_unaligned(self.perms.add(page as usize).cast::<u64>())
                };
                if w == 0 {
                    page += 8;
                    continue;
                }
            }
            let bits = self.page_prot(page << PAGE_SHIFT) & KEEP;
            if bits & prot::MAPPED != 0 {
                let (start, end) = (page << PAGE_SHIFT, (page + 1) << PAGE_SHIFT);
                match runs.last_mut() {
                    Some(r) if r.1 == start && r.2 == bits => r.1 = end,
                    _ => runs.push((start, end, bits)),
                }
            }
            page += 1;
        }
        runs
    }

    /// Permission bits of the page holding `addr` (0 outside the address space).
    #[inline(always)]
    pub fn page_prot(&self, addr: u64) -> u8 {
        let page = addr >> PAGE_SHIFT;
        if page < NPAGES {
            // SAFETY: page < NPAGES, the length of the perms mapping.
            unsafe { *self.perms.add(page as usize) }
        } else {
            0
        }
    }

    /// The guest's read, write and execute bits of the page holding `addr` (those waiting in
    /// the shadow table for a page marked [`prot::BUS`]).
    pub fn guest_bits(&self, addr: u64) -> u8 {
        let mut p = self.page_prot(addr);
        if p & prot::BUS != 0 {
            p = self.view().shadow(addr >> PAGE_SHIFT);
        }
        p & (prot::READ | prot::WRITE | prot::EXEC)
    }

    fn set_page_prot(&self, page: u64, p: u8) {
        debug_assert!(page < NPAGES);
        // SAFETY: callers pass pages inside a range checked by check_range.
        unsafe { *self.perms.add(page as usize) = with_store(p) }
    }

    /// Limits the guest to `bytes` of mapped memory (rounded down to pages): mappings that
    /// would go beyond it fail with [`MemError::Limit`] (the guest's ENOMEM), as under
    /// `RLIMIT_AS`. Everything counts: program image, stack, heap and mmap areas.
    pub fn set_limit(&self, bytes: u64) {
        self.limit_pages
            .store(bytes >> PAGE_SHIFT, Ordering::Relaxed);
    }

    /// Bytes of guest memory currently mapped.
    pub fn mapped_bytes(&self) -> u64 {
        self.mapped_pages.load(Ordering::Relaxed) << PAGE_SHIFT
    }

    /// Fails with [`MemError::Limit`] if mapping `[addr, addr+len)` (checked range) would take
    /// the guest past its memory limit.
    fn check_limit(&self, addr: u64, len: u64) -> Result<(), MemError> {
        let limit = self.limit_pages.load(Ordering::Relaxed);
        if limit == u64::MAX {
            return Ok(());
        }
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        let have = self.mapped_pages.load(Ordering::Relaxed);
        // Fast refusal before counting: even if the whole range were already mapped, the total
        // cannot shrink.
        if have > limit {
            return Err(MemError::Limit(len));
        }
        let new = (first..last)
            .filter(|&p| self.page_prot(p << PAGE_SHIFT) & prot::MAPPED == 0)
            .count() as u64;
        if have.saturating_add(new) > limit {
            return Err(MemError::Limit(new << PAGE_SHIFT));
        }
        Ok(())
    }

    /// Maps `[addr, addr+len)` (page aligned) as fresh zeroed anonymous memory with `prot` bits
    /// (READ/WRITE/EXEC), replacing whatever was there.
    pub fn map_anon(&self, addr: u64, len: u64, prot_bits: u8) -> Result<(), MemError> {
        self.check_range(addr, len)?;
        self.forget_labels(addr, addr + len);
        if len == 0 {
            return Ok(());
        }
        self.check_limit(addr, len)?;
        // SAFETY: the range lies inside our reservation (checked above); MAP_FIXED replaces only
        // our own pages with fresh zeroed memory.
        let r = unsafe {
            libc::mmap(
                self.base.wrapping_add(addr as usize).cast(),
                len as usize,
                self.host_prot(prot_bits),
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(MemError::Host(last_err()));
        }
        self.set_prot_range(addr, len, prot_bits | prot::MAPPED);
        Ok(())
    }

    /// Asks the host to back `[addr, addr+len)` (page aligned, mapped) with transparent huge
    /// pages (`huge`) or not to. Only a performance hint: contents and guest permissions are
    /// unchanged. Random access to a large buffer otherwise misses the host TLB on almost
    /// every access (the kit's `hash`, a 16 MiB table, runs 15% faster).
    pub fn advise_huge(&self, addr: u64, len: u64, huge: bool) -> Result<(), MemError> {
        self.check_range(addr, len)?;
        let advice = if huge {
            libc::MADV_HUGEPAGE
        } else {
            libc::MADV_NOHUGEPAGE
        };
        // SAFETY: the range lies inside our reservation (checked above); the advice does not
        // change the contents or accessibility of the memory.
        let r = unsafe {
            libc::madvise(
                self.base.wrapping_add(addr as usize).cast(),
                len as usize,
                advice,
            )
        };
        if r != 0 {
            return Err(MemError::Host(last_err()));
        }
        Ok(())
    }

    /// Maps `len` bytes of host file `fd` at `offset` to guest `addr` (page aligned), private
    /// (copy-on-write) or shared.
    pub fn map_file(
        &self,
        addr: u64,
        len: u64,
        prot_bits: u8,
        fd: i32,
        offset: u64,
        shared: bool,
    ) -> Result<(), MemError> {
        self.check_range(addr, len)?;
        self.forget_labels(addr, addr + len);
        if len == 0 {
            return Ok(());
        }
        self.check_limit(addr, len)?;
        let flags = if shared {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // The host mapping is writable even for read-only guest pages (guest permissions are
        // enforced by the side table); a read-only file needs a private mapping for that.
        let host_prot = if shared && prot_bits & prot::WRITE == 0 {
            libc::PROT_READ & self.host_prot(prot_bits)
        } else {
            self.host_prot(prot_bits)
        };
        // SAFETY: the range lies inside our reservation (checked above).
        let r = unsafe {
            libc::mmap(
                self.base.wrapping_add(addr as usize).cast(),
                len as usize,
                host_prot,
                flags | libc::MAP_FIXED,
                fd,
                offset as libc::off_t,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(MemError::Host(last_err()));
        }
        let mut p = prot_bits | prot::MAPPED;
        if shared && prot_bits & prot::WRITE == 0 {
            p &= !prot::WRITE;
        }
        if shared {
            self.note_alias();
        }
        self.set_prot_range(addr, len, p);
        Ok(())
    }

    /// Unmaps `[addr, addr+len)`: the host pages are released and the guest range faults.
    /// Without host protections following the guest's, the host range stays readable and
    /// writable (fresh, unbacked pages): another guest thread that passed the permission check
    /// an instant before must not fault the host. With them, it is `PROT_NONE`, and such an
    /// access is healed by the fault handler.
    pub fn unmap(&self, addr: u64, len: u64) -> Result<(), MemError> {
        self.check_range(addr, len)?;
        self.forget_labels(addr, addr + len);
        if len == 0 {
            return Ok(());
        }
        // SAFETY: inside our reservation; replaces our own pages with a fresh anonymous mapping.
        let r = unsafe {
            libc::mmap(
                self.base.wrapping_add(addr as usize).cast(),
                len as usize,
                self.host_prot(0),
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(MemError::Host(last_err()));
        }
        self.set_prot_range(addr, len, 0);
        Ok(())
    }

    /// Changes the guest permissions of mapped pages in range (unmapped pages stay unmapped).
    /// Returns false if some page in the range is not mapped (mprotect's ENOMEM).
    pub fn protect(&self, addr: u64, len: u64, prot_bits: u8) -> Result<bool, MemError> {
        self.check_range(addr, len)?;
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        if (first..last).any(|p| self.page_prot(p << PAGE_SHIFT) & prot::MAPPED == 0) {
            return Ok(false);
        }
        if self.mirror.is_some() && len != 0 {
            self.host_protect(addr, len, self.host_prot(prot_bits))?;
        }
        // Pages past the end of their file stay so, with the new bits in the shadow.
        let bus: Vec<u64> = (first..last)
            .filter(|&p| self.page_prot(p << PAGE_SHIFT) & prot::BUS != 0)
            .collect();
        self.set_prot_range(addr, len, prot_bits | prot::MAPPED);
        for p in bus {
            self.mark_bus(p << PAGE_SHIFT, PAGE_SIZE);
        }
        Ok(true)
    }

    /// The host protection of a page with guest bits `bits`. Read-write, unless host
    /// protections follow the guest's: then `PROT_NONE` for a page the guest may not read,
    /// read-only for one it may not store to inline (not writable, or holding code).
    fn host_prot(&self, bits: u8) -> libc::c_int {
        if self.mirror.is_none() {
            libc::PROT_READ | libc::PROT_WRITE
        } else if bits & prot::READ == 0 {
            libc::PROT_NONE
        } else if bits & (prot::WRITE | prot::CODE) == prot::WRITE {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        }
    }

    /// Marks `page` (bits `p`, mapped) as holding code: a writable page becomes host
    /// read-only first (with host protections following the guest's), so that translated
    /// stores to it fault into the interpreter, which drops the code.
    fn set_code_mark(&self, page: u64, p: u8) {
        if self.mirror.is_some() && p & prot::WRITE != 0 {
            let _ = self.host_protect(page << PAGE_SHIFT, PAGE_SIZE, libc::PROT_READ);
        }
        self.set_page_prot(page, p | prot::CODE);
        self.note_code_page(page);
    }

    /// Before a host-side store to `[addr, addr+len)`: pages holding code are made host
    /// writable again and the engines asked to drop their code (which clears the marks).
    fn open_code_pages(&self, addr: u64, len: u64) {
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        let mut code = false;
        for page in first..last {
            let p = self.page_prot(page << PAGE_SHIFT);
            if p & prot::CODE != 0 {
                code = true;
                if self.mirror.is_some() && p & prot::WRITE != 0 {
                    let rw = libc::PROT_READ | libc::PROT_WRITE;
                    let _ = self.host_protect(page << PAGE_SHIFT, PAGE_SIZE, rw);
                }
            }
        }
        if code {
            self.set_code_dirty();
        }
    }

    /// Sets the host protection of `[addr, addr+len)` (inside the reservation) to `host`,
    /// or read-only where read-write is refused (a shared mapping of a read-only file).
    fn host_protect(&self, addr: u64, len: u64, host: libc::c_int) -> Result<(), MemError> {
        let at = self.base.wrapping_add(addr as usize).cast();
        // SAFETY: the range lies inside our reservation (callers checked it); protections of
        // guest pages are ours to change.
        let mut r = unsafe { libc::mprotect(at, len as usize, host) };
        if r != 0 && host & libc::PROT_WRITE != 0 {
            // SAFETY: as above.
            r = unsafe { libc::mprotect(at, len as usize, libc::PROT_READ) };
        }
        if r != 0 {
            return Err(MemError::Host(last_err()));
        }
        Ok(())
    }

    fn set_prot_range(&self, addr: u64, len: u64, p: u8) {
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        let mut code = false;
        let (mut added, mut removed) = (0u64, 0u64);
        for page in first..last {
            let old = self.page_prot(page << PAGE_SHIFT);
            code |= old & prot::CODE != 0;
            match (old & prot::MAPPED != 0, p & prot::MAPPED != 0) {
                (false, true) => added += 1,
                (true, false) => removed += 1,
                _ => {}
            }
            self.set_page_prot(page, p);
        }
        if added != 0 {
            self.mapped_pages.fetch_add(added, Ordering::Relaxed);
        }
        if removed != 0 {
            self.mapped_pages.fetch_sub(removed, Ordering::Relaxed);
        }
        if code {
            self.set_code_dirty();
        }
    }

    /// Marks the mapped pages of `[addr, addr+len)` as past the end of their file
    /// ([`prot::BUS`]); code decoded from them is dropped.
    pub fn mark_bus(&self, addr: u64, len: u64) {
        let mut code = false;
        for page in self.pages_of(addr, len) {
            let old = self.page_prot(page << PAGE_SHIFT);
            if old & prot::MAPPED == 0 || old & prot::BUS != 0 {
                continue;
            }
            code |= old & prot::CODE != 0;
            // The shadow first: a slow path that sees the mark reads it.
            self.view()
                .set_shadow(page, old & !(prot::CODE | prot::STORE));
            self.set_page_prot(page, prot::MAPPED | prot::BUS);
        }
        if code {
            self.set_code_dirty();
        }
    }

    /// Gives the pages of `[addr, addr+len)` marked [`prot::BUS`] their guest bits back where
    /// the host backs them again (their file grew).
    pub fn recheck_bus(&self, addr: u64, len: u64) {
        let v = self.view();
        for page in self.pages_of(addr, len) {
            if self.page_prot(page << PAGE_SHIFT) & prot::BUS != 0 {
                v.unbus(page, false);
            }
        }
    }

    /// The pages of `[addr, addr+len)`, none if the range is outside the guest space.
    fn pages_of(&self, addr: u64, len: u64) -> std::ops::Range<u64> {
        if self.check_range(addr, len).is_err() {
            return 0..0;
        }
        addr >> PAGE_SHIFT..(addr + len).div_ceil(PAGE_SIZE)
    }

    /// Notes that `[addr, addr+len)` (just mapped with [`GuestMemory::map_file`]) shows file
    /// (`dev`, `ino`) from file offset `offset`.
    pub fn note_file_map(&self, addr: u64, len: u64, offset: u64, dev: u64, ino: u64) {
        self.files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(FileRange {
                start: addr,
                end: addr + len,
                offset,
                dev,
                ino,
            });
    }

    /// File (`dev`, `ino`) is now `size` bytes long (the guest truncated it, say): pages of
    /// guest memory mapping it wholly past its end are marked [`prot::BUS`], and marked pages
    /// it covers again get their bits back.
    pub fn file_resized(&self, dev: u64, ino: u64, size: u64) {
        let ranges: Vec<FileRange> = self
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|f| (f.dev, f.ino) == (dev, ino))
            .cloned()
            .collect();
        let end_page = size.div_ceil(PAGE_SIZE);
        for f in ranges {
            for page in self.pages_of(f.start, f.end - f.start) {
                let addr = page << PAGE_SHIFT;
                if (f.offset + (addr - f.start)) / PAGE_SIZE >= end_page {
                    self.mark_bus(addr, PAGE_SIZE);
                } else if self.page_prot(addr) & prot::BUS != 0 {
                    // Inside the file: the host backs it (no need to ask).
                    self.view().unbus(page, true);
                }
            }
        }
    }

    /// Whether every page of `[addr, addr+len)` is unmapped.
    pub fn is_free(&self, addr: u64, len: u64) -> bool {
        if self.check_range(addr, len).is_err() {
            return false;
        }
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        (first..last).all(|p| self.page_prot(p << PAGE_SHIFT) & prot::MAPPED == 0)
    }

    /// Finds the highest free page-aligned range of `len` bytes that ends at or below `below`
    /// and starts at or above `above` (top-down allocation, as Linux's mmap).
    pub fn find_free(&self, len: u64, above: u64, below: u64) -> Option<u64> {
        let len = len.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1);
        let below = below.min(GUEST_SPACE) & !(PAGE_SIZE - 1);
        let mut end = below;
        while end >= above.saturating_add(len) && end >= len {
            let start = end - len;
            // Scan down from the top of the candidate for a mapped page.
            let mut page = (end >> PAGE_SHIFT) - 1;
            let first = start >> PAGE_SHIFT;
            loop {
                if self.page_prot(page << PAGE_SHIFT) & prot::MAPPED != 0 {
                    end = page << PAGE_SHIFT;
                    break;
                }
                if page == first {
                    return Some(start);
                }
                page -= 1;
            }
        }
        None
    }

    /// Marks the pages of `[addr, addr+len)` as holding decoded code.
    pub fn mark_code(&self, addr: u64, len: u64) {
        if self.check_range(addr, len).is_err() || len == 0 {
            return;
        }
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len).div_ceil(PAGE_SIZE));
        for page in first..last {
            let p = self.page_prot(page << PAGE_SHIFT);
            if p & prot::MAPPED != 0 && p & prot::CODE == 0 {
                self.set_code_mark(page, p);
            }
        }
    }

    /// Takes the "code changed" flag (and forgets which code changed: all of it goes).
    #[inline(always)]
    pub fn take_code_dirty(&self) -> bool {
        // A plain load first: the locked swap is only paid when code actually changed.
        self.view().dirty().load(Ordering::Relaxed) != 0 && {
            let taken = self.view().dirty().swap(0, Ordering::AcqRel) != 0;
            self.view().changed().store(0, Ordering::Relaxed);
            taken
        }
    }

    /// Takes the "code changed" flag with what changed: `None` if nothing did, `Some(None)`
    /// when any decoded code may have (drop it all, then [`GuestMemory::clear_code_marks`]),
    /// `Some(Some(vpn))` when only guest stores into page `vpn` changed code (drop that
    /// page's, then [`GuestMemory::clear_code_mark`]).
    pub fn take_code_change(&self) -> Option<Option<u64>> {
        let v = self.view();
        if v.dirty().load(Ordering::Relaxed) == 0 || v.dirty().swap(0, Ordering::AcqRel) == 0 {
            return None;
        }
        match v.changed().swap(0, Ordering::AcqRel) {
            0 | CHANGED_ALL => Some(None),
            page => Some(Some(page - 1)),
        }
    }

    /// Clears the `CODE` mark of page `vpn` alone (after the engines dropped its code).
    pub fn clear_code_mark(&self, vpn: u64) {
        if let Ok(mut v) = self.code_pages.lock() {
            v.retain(|&p| p != vpn);
        }
        self.unmark_code(vpn);
    }

    /// Whether guest memory may change other than through this memory (see `aliased`).
    pub fn aliased(&self) -> bool {
        self.aliased.load(Ordering::Relaxed)
    }

    /// Notes that guest memory may change other than through this memory from now on.
    pub fn note_alias(&self) {
        self.aliased.store(true, Ordering::Relaxed);
    }

    fn note_code_page(&self, page: u64) {
        if let Ok(mut v) = self.code_pages.lock() {
            v.push(page);
        }
    }

    /// Clears every page's `CODE` mark (after the engines dropped all decoded code).
    pub fn clear_code_marks(&self) {
        if let Ok(mut v) = self.code_pages.lock() {
            for page in v.drain(..) {
                self.unmark_code(page);
            }
        }
    }

    /// Clears `page`'s `CODE` mark, giving a writable page back its host write access.
    fn unmark_code(&self, page: u64) {
        let p = self.page_prot(page << PAGE_SHIFT);
        if p & prot::CODE == 0 {
            return;
        }
        self.set_page_prot(page, p & !prot::CODE);
        if self.mirror.is_some() && p & prot::WRITE != 0 {
            let _ = self.host_protect(
                page << PAGE_SHIFT,
                PAGE_SIZE,
                self.host_prot(p & !prot::CODE),
            );
        }
    }

    /// Requests that decoded code be dropped, all of it (munmap of code, a host-side store
    /// into code, ...).
    pub fn set_code_dirty(&self) {
        self.view().changed().store(CHANGED_ALL, Ordering::Relaxed);
        self.view().dirty().store(1, Ordering::Release);
    }

    #[inline(always)]
    fn host(&self, addr: u64) -> *mut u8 {
        // SAFETY (for callers): addr < GUEST_SPACE has been checked by the permission lookup.
        self.base.wrapping_add(addr as usize)
    }

    /// The description of this memory translated code needs for inline loads and stores.
    pub fn fast_memory(&self) -> translator::interp::FastMem {
        // SAFETY: `perms` has NPAGES readable bytes and a guard byte after them that nothing
        // writes (the table's mapping is PERMS_LEN bytes, zero-filled); a page whose byte has
        // READ (WRITE and not CODE) set is a mapped, host-readable (writable) page of the
        // region at `base`
        // (map_anon/map_file/protect keep every readable page host readable and every
        // writable page holding no code host writable; a shared read-only file mapping never
        // gets WRITE).
        // Both mappings live as long as this GuestMemory.
        let fm = unsafe {
            translator::interp::FastMem::new(
                self.base,
                self.perms,
                NPAGES,
                prot::READ,
                prot::WRITE,
                prot::CODE,
            )
            .with_store_bit(prot::STORE)
        };
        match self.mirror {
            // SAFETY: with `mirror`, every page of the reservation without READ is host
            // PROT_NONE and every page failing the store test host read-only at most
            // (map_anon, map_file, unmap and protect set host protections from the guest bits
            // with `host_prot`, set_code_mark makes a page read-only before marking it;
            // write_bytes_force closes what it opens; open_code_pages opens a code page only
            // with the code dropped; the fault handler only heals pages of racing accesses and
            // host-side stores to code pages, which set the "code changed" flag), as is the
            // guard page after it and the never-mapped pages below LOW_FLOOR; the handler is
            // installed and the reservation registered (`new`).
            Some(_) => unsafe { fm.with_host_loads().with_host_stores() },
            None => fm,
        }
    }

    /// A copyable view of this memory for the engines' hot paths (no `Arc` to chase).
    #[inline(always)]
    pub fn view(&self) -> MemView {
        MemView {
            base: self.base,
            perms: self.perms,
        }
    }

    /// Checks an access of `len` bytes with permission `need`; returns the fault otherwise.
    #[inline(always)]
    fn check(&self, addr: u64, len: u64, need: u8, cause: Cause) -> Result<(), Exception> {
        let p = self.page_prot(addr);
        if p & need != 0 && (addr & (PAGE_SIZE - 1)) + len <= PAGE_SIZE {
            return Ok(());
        }
        self.check_slow(addr, len, need, cause)
    }

    fn check_slow(&self, addr: u64, len: u64, need: u8, cause: Cause) -> Result<(), Exception> {
        self.view().check_slow(addr, len, need, cause)
    }

    /// Loads `w` bytes (zero-extended). Misaligned loads are allowed (Linux emulates them).
    #[inline(always)]
    pub fn load(&self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.view().load(addr, w)
    }

    /// Stores the low `w` bytes of `val`.
    #[inline(always)]
    pub fn store(&self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.view().store(addr, val, w)
    }

    #[inline(always)]
    fn note_store(&self, addr: u64, len: u64) {
        if (self.page_prot(addr) | self.page_prot(addr + len - 1)) & prot::CODE != 0 {
            self.open_code_pages(addr, len);
        }
    }

    /// Fetches 16 bits of instruction (needs EXEC) and marks the page as holding code.
    pub fn fetch16(&self, addr: u64) -> Result<u16, Exception> {
        if addr & 1 != 0 {
            return Err(Exception::new(Cause::InstructionMisaligned, addr));
        }
        self.check(addr, 2, prot::EXEC, Cause::InstructionPageFault)?;
        let page = addr >> PAGE_SHIFT;
        let p = self.page_prot(addr);
        if p & prot::CODE == 0 {
            self.set_code_mark(page, p);
        }
        if self.host_prot(p) == libc::PROT_NONE {
            return self.fetch_hidden(addr);
        }
        // SAFETY: checked executable and host-readable guest page, 2-byte aligned.
        Ok(unsafe { (self.host(addr) as *const u16).read() })
    }

    /// Fetches from an execute-only page, which host protections hide: through
    /// `/proc/self/mem`, which reads pages regardless of their protection.
    #[cold]
    fn fetch_hidden(&self, addr: u64) -> Result<u16, Exception> {
        let mut b = [0u8; 2];
        if !host_read(self.host(addr), &mut b) {
            return Err(Exception::new(Cause::InstructionAccessFault, addr));
        }
        Ok(u16::from_le_bytes(b))
    }

    /// Atomic read-modify-write on an aligned address (checked by the caller).
    pub fn amo(&self, op: AmoOp, addr: u64, val: u64, w: Width) -> Result<u64, Exception> {
        self.check(addr, w.bytes(), prot::WRITE, Cause::StorePageFault)?;
        if self.page_prot(addr) & prot::READ == 0 {
            return Err(Exception::new(Cause::StorePageFault, addr));
        }
        self.note_store(addr, w.bytes());
        let p = self.host(addr);
        // SAFETY: aligned (caller), inside a mapped read-write guest page; host atomics on the
        // shared region make the operation atomic with respect to other guest threads.
        unsafe {
            match w {
                Width::W => {
                    let a = AtomicU32::from_ptr(p.cast());
                    let mut old = a.load(Ordering::SeqCst);
                    loop {
                        let new = translator::interp::amo_apply(op, old as u64, val, w) as u32;
                        match a.compare_exchange_weak(old, new, Ordering::SeqCst, Ordering::SeqCst)
                        {
                            Ok(_) => return Ok(old as u64),
                            Err(cur) => old = cur,
                        }
                    }
                }
                Width::D => {
                    let a = AtomicU64::from_ptr(p.cast());
                    let mut old = a.load(Ordering::SeqCst);
                    loop {
                        let new = translator::interp::amo_apply(op, old, val, w);
                        match a.compare_exchange_weak(old, new, Ordering::SeqCst, Ordering::SeqCst)
                        {
                            Ok(_) => return Ok(old),
                            Err(cur) => old = cur,
                        }
                    }
                }
                _ => Err(Exception::new(Cause::StoreAccessFault, addr)),
            }
        }
    }

    /// Atomic compare-and-exchange on an aligned address (checked by the caller).
    pub fn cmpxchg(&self, addr: u64, expected: u64, new: u64, w: Width) -> Result<bool, Exception> {
        self.check(addr, w.bytes(), prot::WRITE, Cause::StorePageFault)?;
        self.note_store(addr, w.bytes());
        let p = self.host(addr);
        // SAFETY: aligned (caller), inside a mapped writable guest page.
        unsafe {
            Ok(match w {
                Width::B => AtomicU8::from_ptr(p)
                    .compare_exchange(
                        expected as u8,
                        new as u8,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    )
                    .is_ok(),
                Width::H => AtomicU16::from_ptr(p.cast())
                    .compare_exchange(
                        expected as u16,
                        new as u16,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    )
                    .is_ok(),
                Width::W => AtomicU32::from_ptr(p.cast())
                    .compare_exchange(
                        expected as u32,
                        new as u32,
                        Ordering::SeqCst,
                        Ordering::SeqCst,
                    )
                    .is_ok(),
                Width::D => AtomicU64::from_ptr(p.cast())
                    .compare_exchange(expected, new, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok(),
            })
        }
    }

    /// Copies guest memory into `buf` (guest pointers from syscalls: needs READ on every page).
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), Exception> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_slow(addr, buf.len() as u64, prot::READ, Cause::LoadPageFault)?;
        // SAFETY: every byte of [addr, addr+len) is in a readable mapped guest page.
        unsafe { std::ptr::copy_nonoverlapping(self.host(addr), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copies `data` into guest memory (needs WRITE on every page).
    pub fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<(), Exception> {
        if data.is_empty() {
            return Ok(());
        }
        self.check_slow(addr, data.len() as u64, prot::WRITE, Cause::StorePageFault)?;
        self.open_code_pages(addr, data.len() as u64);
        // SAFETY: every byte of [addr, addr+len) is in a writable mapped guest page.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.host(addr), data.len()) };
        Ok(())
    }

    /// Writes `data` regardless of guest permissions (the loader filling read-only segments).
    /// The pages must be mapped.
    pub fn write_bytes_force(&self, addr: u64, data: &[u8]) -> Result<(), Exception> {
        if data.is_empty() {
            return Ok(());
        }
        self.check_slow(addr, data.len() as u64, prot::MAPPED, Cause::StorePageFault)?;
        self.open_code_pages(addr, data.len() as u64);
        // Pages the guest may not store to are not host-writable (with host protections
        // following the guest's): open them for the copy.
        let (first, last) = (
            addr >> PAGE_SHIFT,
            (addr + data.len() as u64).div_ceil(PAGE_SIZE),
        );
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let hidden: Vec<u64> = (first..last)
            .filter(|&p| self.host_prot(self.page_prot(p << PAGE_SHIFT)) != rw)
            .collect();
        for &p in &hidden {
            self.host_protect(
                p << PAGE_SHIFT,
                PAGE_SIZE,
                libc::PROT_READ | libc::PROT_WRITE,
            )
            .map_err(|_| Exception::new(Cause::StoreAccessFault, addr))?;
        }
        // SAFETY: every byte is in a mapped guest page, and mapped pages are host-writable
        // (except shared read-only file mappings, which the loader never writes into; hidden
        // pages were just opened).
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), self.host(addr), data.len()) };
        for &p in &hidden {
            let host = self.host_prot(self.page_prot(p << PAGE_SHIFT));
            let _ = self.host_protect(p << PAGE_SHIFT, PAGE_SIZE, host);
        }
        Ok(())
    }

    /// A host slice over guest memory for syscalls that read guest buffers (write, pwrite, ...).
    /// Checks READ on every page.
    pub fn slice(&self, addr: u64, len: u64) -> Result<&[u8], Exception> {
        if len == 0 {
            return Ok(&[]);
        }
        self.check_slow(addr, len, prot::READ, Cause::LoadPageFault)?;
        // SAFETY: the whole range is readable mapped guest memory inside our reservation; it
        // lives as long as `self` (unmapping needs the memory's owner to run a syscall, which
        // cannot happen while this borrow is alive in the same thread).
        Ok(unsafe { std::slice::from_raw_parts(self.host(addr), len as usize) })
    }

    /// A mutable host slice over guest memory for syscalls that fill guest buffers (read, ...).
    /// Checks WRITE on every page.
    #[allow(clippy::mut_from_ref)]
    pub fn slice_mut(&self, addr: u64, len: u64) -> Result<&mut [u8], Exception> {
        if len == 0 {
            return Ok(&mut []);
        }
        self.check_slow(addr, len, prot::WRITE, Cause::StorePageFault)?;
        self.open_code_pages(addr, len);
        // SAFETY: as in `slice`; guest memory is shared with the guest like real hardware
        // memory, and the syscall layer never holds two overlapping slices at once.
        Ok(unsafe { std::slice::from_raw_parts_mut(self.host(addr), len as usize) })
    }

    /// Reads a NUL-terminated string of at most `max` bytes.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, Exception> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let b = self.load(a, Width::B)? as u8;
            if b == 0 {
                return Ok(out);
            }
            out.push(b);
            a = a.wrapping_add(1);
        }
        Err(Exception::new(Cause::LoadPageFault, a))
    }

    pub fn read_u64(&self, addr: u64) -> Result<u64, Exception> {
        self.load(addr, Width::D)
    }

    pub fn write_u64(&self, addr: u64, v: u64) -> Result<(), Exception> {
        self.store(addr, v, Width::D)
    }
}

/// The guest region and its permission table as two raw pointers: what an engine's inner loop
/// needs for a load or store. Valid while the `GuestMemory` it came from is alive.
#[derive(Clone, Copy, Debug)]
pub struct MemView {
    base: *mut u8,
    perms: *mut u8,
}

// SAFETY: a MemView is two pointers into mappings owned by a GuestMemory that outlives it (its
// holders keep the Arc<GuestMemory>); guest memory is shared between guest threads by design.
unsafe impl Send for MemView {}
unsafe impl Sync for MemView {}

impl MemView {
    #[inline(always)]
    fn prot(&self, addr: u64) -> u8 {
        let page = addr >> PAGE_SHIFT;
        if page < NPAGES {
            // SAFETY: page < NPAGES, inside the permission table.
            unsafe { *self.perms.add(page as usize) }
        } else {
            0
        }
    }

    #[inline(always)]
    fn dirty(&self) -> &AtomicU8 {
        // SAFETY: byte DIRTY lies in the page after the permission table, in the same mapping
        // (PERMS_LEN), and is only ever accessed atomically.
        unsafe { AtomicU8::from_ptr(self.perms.add(DIRTY)) }
    }

    #[inline(always)]
    fn changed(&self) -> &AtomicU64 {
        // SAFETY: the 8 bytes at CHANGED lie in the page after the permission table, in the
        // same page-aligned mapping (PERMS_LEN), 8-byte aligned (NPAGES is a multiple of
        // 8), and are only ever accessed atomically.
        unsafe { AtomicU64::from_ptr(self.perms.add(CHANGED).cast()) }
    }

    /// A guest store of `len` bytes at `addr` into a page holding decoded code: records the
    /// page (or, past one page, that anything may have changed), then raises the flag.
    #[cold]
    fn note_code_store(&self, addr: u64, len: u64) {
        let (first, last) = (addr >> PAGE_SHIFT, (addr + len - 1) >> PAGE_SHIFT);
        let want = if first == last {
            first + 1
        } else {
            CHANGED_ALL
        };
        let c = self.changed();
        let mut cur = c.load(Ordering::Relaxed);
        while cur != want && cur != CHANGED_ALL {
            let new = if cur == 0 { want } else { CHANGED_ALL };
            match c.compare_exchange_weak(cur, new, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(now) => cur = now,
            }
        }
        self.dirty().store(1, Ordering::Release);
    }

    #[inline(always)]
    fn host(&self, addr: u64) -> *mut u8 {
        self.base.wrapping_add(addr as usize)
    }

    fn check_slow(&self, addr: u64, len: u64, need: u8, cause: Cause) -> Result<(), Exception> {
        // Both pages of a page-crossing access must allow it. The fault address is the first
        // byte that is not accessible.
        let mut a = addr;
        let end = addr.checked_add(len).ok_or(Exception::new(cause, addr))?;
        while a < end {
            let p = self.prot(a);
            if p & need == 0 {
                if p & prot::BUS != 0 {
                    if self.unbus(a >> PAGE_SHIFT, false) {
                        continue;
                    }
                    return Err(Exception::new(access_fault(cause), a.max(addr)));
                }
                return Err(Exception::new(cause, a.max(addr)));
            }
            a = (a & !(PAGE_SIZE - 1)) + PAGE_SIZE;
        }
        Ok(())
    }

    /// A page marked [`prot::BUS`] the host backs again (its file grew) gets its guest bits
    /// back; false if the host still cannot read it. `known`: the caller knows it can.
    #[cold]
    fn unbus(&self, page: u64, known: bool) -> bool {
        let mut b = [0u8; 1];
        if !known && !host_read(self.host(page << PAGE_SHIFT), &mut b) {
            return false;
        }
        // SAFETY: page < NPAGES (it held a BUS mark), inside the permission table; written
        // atomically, as other guest threads may read it.
        unsafe { AtomicU8::from_ptr(self.perms.add(page as usize)) }
            .store(with_store(self.shadow(page)), Ordering::Release);
        true
    }

    fn shadow(&self, page: u64) -> u8 {
        debug_assert!(page < NPAGES);
        // SAFETY: the shadow table holds NPAGES bytes at SHADOW in the perms mapping
        // (PERMS_LEN), and page < NPAGES (callers: pages of the permission table).
        unsafe { AtomicU8::from_ptr(self.perms.add(SHADOW + page as usize)) }
            .load(Ordering::Acquire)
    }

    fn set_shadow(&self, page: u64, bits: u8) {
        debug_assert!(page < NPAGES);
        // SAFETY: as in `shadow`.
        unsafe { AtomicU8::from_ptr(self.perms.add(SHADOW + page as usize)) }
            .store(bits, Ordering::Release);
    }

    /// Loads `w` bytes (zero-extended). Misaligned loads are allowed (Linux emulates them).
    #[inline(always)]
    pub fn load(&self, addr: u64, w: Width) -> Result<u64, Exception> {
        if self.prot(addr) & prot::READ == 0 || (addr & (PAGE_SIZE - 1)) + w.bytes() > PAGE_SIZE {
            return self.load_slow(addr, w);
        }
        // SAFETY: the page is mapped and readable and the access stays inside it.
        Ok(unsafe { self.read(addr, w) })
    }

    #[cold]
    #[inline(never)]
    fn load_slow(&self, addr: u64, w: Width) -> Result<u64, Exception> {
        self.check_slow(addr, w.bytes(), prot::READ, Cause::LoadPageFault)?;
        // SAFETY: every byte of the access is in a mapped readable guest page.
        Ok(unsafe { self.read(addr, w) })
    }

    /// # Safety
    /// Every byte of the access must lie in mapped guest pages.
    #[inline(always)]
    unsafe fn read(&self, addr: u64, w: Width) -> u64 {
        let p = self.host(addr);
        // SAFETY: per the contract (the bytes are in mapped guest pages, host-readable).
        unsafe { w.read_host(p) }
    }

    /// Stores the low `w` bytes of `val`. A store into a page holding decoded code raises the
    /// "code changed" flag (self-modifying code).
    #[inline(always)]
    pub fn store(&self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        if self.prot(addr) & (prot::WRITE | prot::CODE) != prot::WRITE
            || (addr & (PAGE_SIZE - 1)) + w.bytes() > PAGE_SIZE
        {
            return self.store_slow(addr, val, w);
        }
        // SAFETY: the page is mapped and writable and the access stays inside it.
        unsafe { self.write(addr, val, w) };
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn store_slow(&self, addr: u64, val: u64, w: Width) -> Result<(), Exception> {
        self.check_slow(addr, w.bytes(), prot::WRITE, Cause::StorePageFault)?;
        if (self.prot(addr) | self.prot(addr + w.bytes() - 1)) & prot::CODE != 0 {
            self.note_code_store(addr, w.bytes());
        }
        // SAFETY: every byte of the access is in a mapped writable guest page.
        unsafe { self.write(addr, val, w) };
        Ok(())
    }

    /// # Safety
    /// Every byte of the access must lie in mapped guest pages.
    #[inline(always)]
    unsafe fn write(&self, addr: u64, val: u64, w: Width) {
        let p = self.host(addr);
        // SAFETY: per the contract (the bytes are in mapped guest pages, host-writable).
        unsafe { w.write_host(p, val) }
    }

    /// Whether decoded code must be dropped; see [`GuestMemory::take_code_dirty`].
    #[inline(always)]
    pub fn code_dirty(&self) -> bool {
        self.dirty().load(Ordering::Relaxed) != 0
    }
}

impl Drop for GuestMemory {
    fn drop(&mut self) {
        if let Some(slot) = self.mirror {
            translator::jit::fault::remove_region(slot);
        }
        // SAFETY: unmapping the two mappings this struct created, once.
        unsafe {
            libc::munmap(
                self.reserved.cast(),
                (GUEST_SPACE + GUARD - self.floor) as usize,
            );
            libc::munmap(self.perms.cast(), PERMS_LEN);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_addresses_are_host_addresses_where_the_low_range_is_free() {
        let first = GuestMemory::new().expect("reserve");
        // Under nextest each test is a process of its own, so nothing else holds the range;
        // under `cargo test` another test's memory may.
        let alone = std::env::var("NEXTEST_EXECUTION_MODE").is_ok_and(|m| m == "process-per-test");
        if alone {
            assert!(first.host_base().is_null(), "{:p}", first.host_base());
        }
        // A second memory while the first lives gets a base of its own; both work.
        let second = GuestMemory::new().expect("reserve again");
        assert!(!second.host_base().is_null());
        for m in [&first, &second] {
            m.map_anon(0x20000, 0x1000, prot::READ | prot::WRITE)
                .expect("map");
            m.write_bytes(0x20010, b"guest").expect("write");
            let host = m.host_base().wrapping_add(0x20010);
            // SAFETY: guest page 0x20000 is mapped host read-write at host_base + 0x20000.
            let seen = unsafe { std::slice::from_raw_parts(host, 5) };
            assert_eq!(seen, b"guest");
            if m.host_base().is_null() {
                assert_eq!(host as u64, 0x20010);
                // Below the reservation nothing can be mapped.
                assert!(matches!(
                    m.map_anon(0x1000, 0x1000, prot::READ),
                    Err(MemError::OutOfRange { addr: 0x1000, .. })
                ));
                assert!(m.read_bytes(0x1000, &mut [0u8; 4]).is_err());
            }
        }
        drop(first);
        // Dropping gives the range back.
        if alone {
            let again = GuestMemory::new().expect("reserve a third time");
            assert!(again.host_base().is_null());
        }
    }

    #[test]
    fn unmapped_and_protected_accesses_fault() {
        let m = GuestMemory::new().expect("reserve");
        assert_eq!(
            m.load(0x1000, Width::W),
            Err(Exception::new(Cause::LoadPageFault, 0x1000))
        );
        m.map_anon(0x10000, 0x2000, prot::READ).expect("map");
        assert_eq!(m.load(0x10008, Width::D), Ok(0));
        assert_eq!(
            m.store(0x10008, 1, Width::D),
            Err(Exception::new(Cause::StorePageFault, 0x10008))
        );
        // A load crossing into an unmapped page faults at the first unmapped byte.
        assert_eq!(
            m.load(0x11ffc, Width::D),
            Err(Exception::new(Cause::LoadPageFault, 0x12000))
        );
        assert_eq!(
            m.load(u64::MAX - 3, Width::D).map_err(|e| e.cause),
            Err(Cause::LoadPageFault)
        );
        assert_eq!(
            m.load(GUEST_SPACE, Width::B).map_err(|e| e.cause),
            Err(Cause::LoadPageFault)
        );
    }

    #[test]
    fn stores_round_trip_and_unaligned() {
        let m = GuestMemory::new().expect("reserve");
        m.map_anon(0x10000, 0x2000, prot::READ | prot::WRITE)
            .expect("map");
        m.store(0x10ffd, 0x1122334455667788, Width::D)
            .expect("store");
        assert_eq!(m.load(0x10ffd, Width::D), Ok(0x1122334455667788));
        assert_eq!(m.load(0x10ffd, Width::B), Ok(0x88));
        m.unmap(0x11000, 0x1000).expect("unmap");
        assert!(m.load(0x11000, Width::B).is_err());
    }

    #[test]
    fn store_bit_is_write_without_code() {
        // The inline store test of translated code and the interpreter reads only STORE: it
        // must follow every change of WRITE and CODE.
        let m = GuestMemory::new().expect("reserve");
        let store = |a| m.page_prot(a) & prot::STORE != 0;
        m.map_anon(0x10000, 0x2000, prot::READ | prot::WRITE)
            .expect("map");
        assert!(store(0x10000) && store(0x11000));
        m.mark_code(0x10000, 4);
        assert!(!store(0x10000) && store(0x11000));
        assert_eq!(m.fast_memory().store_test(), (prot::STORE, prot::STORE));
        m.clear_code_marks();
        assert!(store(0x10000));
        assert_eq!(m.protect(0x11000, 0x1000, prot::READ).ok(), Some(true));
        assert!(store(0x10000) && !store(0x11000));
        assert_eq!(
            m.protect(0x11000, 0x1000, prot::READ | prot::WRITE).ok(),
            Some(true)
        );
        assert!(store(0x11000));
        m.mark_code(0x11000, 4);
        assert!(!store(0x11000));
        // mprotect over code drops the mark and asks the engines to drop their code.
        assert!(!m.take_code_dirty());
        assert_eq!(
            m.protect(0x11000, 0x1000, prot::READ | prot::WRITE).ok(),
            Some(true)
        );
        assert!(store(0x11000) && m.take_code_dirty());
        m.unmap(0x10000, 0x2000).expect("unmap");
        assert!(!store(0x10000) && !store(0x11000));
    }

    #[test]
    fn stores_into_code_tell_which_page_changed() {
        let m = GuestMemory::new().expect("reserve");
        let store = |a| m.page_prot(a) & prot::STORE != 0;
        m.map_anon(0x10000, 0x3000, prot::READ | prot::WRITE)
            .expect("map");
        m.mark_code(0x10000, 0x3000);
        assert_eq!(m.take_code_change(), None);
        // Stores into one page (twice): that page.
        m.store(0x11008, 7, Width::D).expect("store");
        m.store(0x11ff8, 8, Width::D).expect("store");
        assert_eq!(m.take_code_change(), Some(Some(0x11)));
        assert_eq!(m.take_code_change(), None);
        // Its mark alone goes (it is host writable again); the others keep theirs.
        m.clear_code_mark(0x11);
        assert!(store(0x11000) && !store(0x10000) && !store(0x12000));
        assert_eq!(m.load(0x11008, Width::D), Ok(7));
        m.store(0x11010, 9, Width::D).expect("store");
        assert_eq!(m.take_code_change(), None);
        // Stores into two pages, or across a page boundary: everything.
        m.store(0x10000, 1, Width::W).expect("store");
        m.store(0x12000, 1, Width::W).expect("store");
        assert_eq!(m.take_code_change(), Some(None));
        m.store(0x11ffc, 1, Width::D).expect("store");
        assert_eq!(m.take_code_change(), Some(None));
        // A store into a page, then anything else that drops code: everything.
        m.store(0x10000, 1, Width::W).expect("store");
        m.set_code_dirty();
        assert_eq!(m.take_code_change(), Some(None));
        // take_code_dirty forgets the page too.
        m.store(0x10000, 1, Width::W).expect("store");
        assert!(m.take_code_dirty());
        assert_eq!(m.take_code_change(), None);
        m.store(0x10000, 1, Width::W).expect("store");
        assert_eq!(m.take_code_change(), Some(Some(0x10)));
    }

    #[test]
    fn find_free_is_top_down() {
        let m = GuestMemory::new().expect("reserve");
        m.map_anon(0x7000_0000, 0x1000, prot::READ).expect("map");
        assert_eq!(
            m.find_free(0x2000, 0x1000_0000, 0x7000_1000),
            Some(0x6fff_e000)
        );
        assert_eq!(
            m.find_free(0x1000, 0x1000_0000, 0x8000_0000),
            Some(0x7fff_f000)
        );
    }
}
