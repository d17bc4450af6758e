//! Guest struct layouts of the Linux riscv64 ABI (LP64, asm-generic uapi headers) and their
//! conversion from the host's x86-64 structs where the two differ.
//!
//! Checked against /usr/riscv64-linux-gnu/include (asm-generic/stat.h, asm-generic/signal.h,
//! asm-generic/termbits.h, linux/sysinfo.h) and the x86-64 headers:
//! - `struct stat` differs (converted here, 128 bytes on riscv64);
//! - `struct statx`, `struct linux_dirent64`, `struct timespec`/`timeval`, `struct rlimit64`,
//!   `struct rusage`, `struct tms`, `struct sysinfo`, `struct statfs`, `struct utsname`,
//!   `struct winsize`, kernel `struct termios` (36 bytes), `struct flock` and `struct pollfd`
//!   are the same on both 64-bit ABIs: their bytes are copied through a host buffer unchanged;
//! - `struct sigaction` has no `sa_restorer` on riscv64: handler, flags, mask (24 bytes);
//! - `stack_t` is ss_sp u64, ss_flags i32 (+4 padding), ss_size u64 (24 bytes).

/// Size of the riscv64 `struct stat`.
pub const STAT_SIZE: usize = 128;
/// Size of `struct statx`.
pub const STATX_SIZE: usize = 256;
/// Size of the kernel `struct termios` (generic: 4 x u32, c_line, c_cc[19]).
pub const TERMIOS_SIZE: usize = 36;
/// Size of `struct winsize`.
pub const WINSIZE_SIZE: usize = 8;
/// Size of `struct utsname` (6 fields of 65 bytes).
pub const UTSNAME_SIZE: usize = 390;
/// Size of `struct sysinfo` on LP64.
pub const SYSINFO_SIZE: usize = 112;
/// Size of `struct rusage` on LP64.
pub const RUSAGE_SIZE: usize = 144;
/// Size of `struct statfs` on LP64.
pub const STATFS_SIZE: usize = 120;
/// Size of `struct flock` on LP64.
pub const FLOCK_SIZE: usize = 32;
/// Size of `struct sigaction` on riscv64 (no sa_restorer).
pub const SIGACTION_SIZE: usize = 24;
/// Size of `stack_t`.
pub const STACK_T_SIZE: usize = 24;

// The structs copied through unchanged must have the same size on the host.
const _: () = {
    assert!(std::mem::size_of::<libc::statx>() == STATX_SIZE);
    assert!(std::mem::size_of::<libc::sysinfo>() == SYSINFO_SIZE);
    assert!(std::mem::size_of::<libc::rusage>() == RUSAGE_SIZE);
    assert!(std::mem::size_of::<libc::statfs>() == STATFS_SIZE);
    assert!(std::mem::size_of::<libc::flock>() == FLOCK_SIZE);
    assert!(std::mem::size_of::<libc::utsname>() == UTSNAME_SIZE);
    assert!(std::mem::size_of::<libc::winsize>() == WINSIZE_SIZE);
    assert!(std::mem::size_of::<libc::timespec>() == 16);
    assert!(std::mem::size_of::<libc::timeval>() == 16);
    assert!(std::mem::size_of::<libc::rlimit64>() == 16);
    assert!(std::mem::size_of::<libc::tms>() == 32);
    assert!(std::mem::size_of::<libc::pollfd>() == 8);
};

/// Little-endian field writer for building guest structs.
pub struct Fields<const N: usize>(pub [u8; N]);

impl<const N: usize> Fields<N> {
    pub fn new() -> Self {
        Self([0; N])
    }
    pub fn u16(&mut self, off: usize, v: u16) -> &mut Self {
        self.0[off..off + 2].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
        self
    }
}

impl<const N: usize> Default for Fields<N> {
    fn default() -> Self {
        Self::new()
    }
}

/// Reads a little-endian u64 at `off` of `b`.
pub fn get_u64(b: &[u8], off: usize) -> u64 {
    let mut v = [0u8; 8];
    v.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(v)
}

/// Reads a little-endian u32 at `off` of `b`.
pub fn get_u32(b: &[u8], off: usize) -> u32 {
    let mut v = [0u8; 4];
    v.copy_from_slice(&b[off..off + 4]);
    u32::from_le_bytes(v)
}

/// Offsets of the riscv64 `struct stat` fields (asm-generic/stat.h).
pub mod stat {
    pub const DEV: usize = 0;
    pub const INO: usize = 8;
    pub const MODE: usize = 16;
    pub const NLINK: usize = 20;
    pub const UID: usize = 24;
    pub const GID: usize = 28;
    pub const RDEV: usize = 32;
    pub const SIZE: usize = 48;
    pub const BLKSIZE: usize = 56;
    pub const BLOCKS: usize = 64;
    pub const ATIME: usize = 72;
    pub const MTIME: usize = 88;
    pub const CTIME: usize = 104;
}

/// The riscv64 `struct stat` bytes for a host `struct stat`.
pub fn stat_to_guest(s: &libc::stat) -> [u8; STAT_SIZE] {
    let mut f = Fields::<STAT_SIZE>::new();
    f.u64(stat::DEV, s.st_dev)
        .u64(stat::INO, s.st_ino)
        .u32(stat::MODE, s.st_mode)
        .u32(stat::NLINK, s.st_nlink as u32)
        .u32(stat::UID, s.st_uid)
        .u32(stat::GID, s.st_gid)
        .u64(stat::RDEV, s.st_rdev)
        .u64(stat::SIZE, s.st_size as u64)
        .u32(stat::BLKSIZE, s.st_blksize as u32)
        .u64(stat::BLOCKS, s.st_blocks as u64)
        .u64(stat::ATIME, s.st_atime as u64)
        .u64(stat::ATIME + 8, s.st_atime_nsec as u64)
        .u64(stat::MTIME, s.st_mtime as u64)
        .u64(stat::MTIME + 8, s.st_mtime_nsec as u64)
        .u64(stat::CTIME, s.st_ctime as u64)
        .u64(stat::CTIME + 8, s.st_ctime_nsec as u64);
    f.0
}

/// Plain C structs of integers: every bit pattern is a valid value and all-zero is one.
///
/// # Safety
/// Implement only for `#[repr(C)]` structs made of integers and arrays of integers.
pub unsafe trait Pod: Copy {}

// SAFETY: libc C structs of integer fields only.
unsafe impl Pod for libc::stat {}
// SAFETY: as above.
unsafe impl Pod for libc::statx {}
// SAFETY: as above.
unsafe impl Pod for libc::sysinfo {}
// SAFETY: as above.
unsafe impl Pod for libc::rusage {}
// SAFETY: as above.
unsafe impl Pod for libc::statfs {}
// SAFETY: as above.
unsafe impl Pod for libc::flock {}
// SAFETY: as above (arrays of c_char).
unsafe impl Pod for libc::utsname {}
// SAFETY: as above.
unsafe impl Pod for libc::winsize {}
// SAFETY: as above.
unsafe impl Pod for libc::timespec {}
// SAFETY: as above.
unsafe impl Pod for libc::timeval {}
// SAFETY: as above.
unsafe impl Pod for libc::rlimit64 {}
// SAFETY: as above.
unsafe impl Pod for libc::tms {}
// SAFETY: as above.
unsafe impl Pod for libc::pollfd {}

/// The bytes of a plain-old-data host struct (for layouts identical on both ABIs).
pub fn bytes_of<T: Pod>(v: &T) -> &[u8] {
    // SAFETY: T is Pod; callers only view zero-initialized structs that the host filled, so
    // every byte, padding included, is initialized.
    unsafe { std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>()) }
}

/// A zero-initialized plain-old-data host struct.
pub fn zeroed<T: Pod>() -> T {
    // SAFETY: all-zero bytes are a valid value of a Pod type.
    unsafe { std::mem::zeroed() }
}

/// Fills a plain-old-data host struct from guest bytes (layouts identical on both ABIs).
pub fn from_bytes<T: Pod>(b: &[u8]) -> Option<T> {
    if b.len() < std::mem::size_of::<T>() {
        return None;
    }
    let mut v: T = zeroed();
    // SAFETY: copying size_of::<T>() bytes into a Pod struct, for which every bit pattern is
    // valid; `b` holds at least that many bytes (checked above).
    unsafe {
        std::ptr::copy_nonoverlapping(
            b.as_ptr(),
            (&mut v as *mut T).cast::<u8>(),
            std::mem::size_of::<T>(),
        )
    };
    Some(v)
}
