//! futex(2) for riscv64 guests (kernel/futex, include/uapi/linux/futex.h): guest memory is one
//! host mapping, so a guest futex word is a host futex word and the operations pass through to
//! the host futex on its host address (private and shared futexes alike). Every guest address
//! is checked against the guest page table first; only the operations below are passed.

use super::errno::*;
use super::{cvt, Args, SysResult};
use crate::linux::Process;
use crate::mem::prot;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

/// The host address of the aligned guest futex word at `addr`, whose page must allow `need`.
fn host_word(p: &Process, addr: u64, need: u8) -> Result<*mut u32, Errno> {
    if addr & 3 != 0 {
        return Err(EINVAL);
    }
    if p.mem.page_prot(addr) & need != need {
        return Err(EFAULT);
    }
    // The page is mapped (so addr is inside the guest region): base + addr is ours.
    Ok(p.mem.host_base().wrapping_add(addr as usize).cast())
}

/// futex(uaddr, op, val, timeout / val2, uaddr2, val3).
pub fn futex(p: &mut Process, a: &Args) -> SysResult {
    let op = a[1];
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    // Linux: FUTEX_CLOCK_REALTIME only with the waits that take a timeout.
    if op & FUTEX_CLOCK_REALTIME != 0 && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(ENOSYS);
    }
    let uaddr = host_word(p, a[0], prot::READ)?;
    let mut ts = [0u8; 16];
    let (arg3, uaddr2): (*const u8, *mut u32) = match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            if a[3] != 0 {
                // struct timespec is the same on both ABIs.
                p.mem.read_bytes(a[3], &mut ts)?;
            }
            let t = if a[3] != 0 {
                ts.as_ptr()
            } else {
                std::ptr::null()
            };
            (t, std::ptr::null_mut())
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => (std::ptr::null(), std::ptr::null_mut()),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            (a[3] as usize as *const u8, host_word(p, a[4], prot::READ)?)
        }
        // WAKE_OP writes the second word: it must be writable for the guest.
        FUTEX_WAKE_OP => (
            a[3] as usize as *const u8,
            host_word(p, a[4], prot::READ | prot::WRITE)?,
        ),
        _ => return Err(ENOSYS),
    };
    // SAFETY: uaddr (and uaddr2) are aligned words of mapped guest pages inside our
    // reservation; the timeout (when a pointer) is a local timespec; the rest are numbers.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_futex,
            uaddr,
            op as libc::c_long,
            a[2] as u32 as libc::c_long,
            arg3,
            uaddr2,
            a[5] as u32 as libc::c_long,
        )
    })
}

/// Wakes up to `n` waiters of the guest futex word at `addr` (thread exit, robust lists).
pub fn wake(p: &Process, addr: u64, n: i32) -> SysResult {
    let w = host_word(p, addr, prot::READ)?;
    // SAFETY: an aligned word of a mapped guest page.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_futex,
            w,
            FUTEX_WAKE as libc::c_long,
            n as libc::c_long,
        )
    })
}
