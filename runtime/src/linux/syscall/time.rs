//! Time syscalls of the Linux riscv64 ABI (asm-generic unistd.h 101, 113..115, 169).
//! `struct timespec` and `struct timeval` are two i64 on riscv64 and x86-64 alike, and clock ids
//! are the generic ones, so values pass through host copies unchanged.

use super::errno::*;
use super::{cvt, Args, SysResult};
use crate::linux::Process;

fn read_ts(p: &Process, addr: u64) -> Result<[u8; 16], Errno> {
    let mut b = [0u8; 16];
    p.mem.read_bytes(addr, &mut b)?;
    Ok(b)
}

pub fn clock_gettime(p: &mut Process, a: &Args) -> SysResult {
    let mut ts = [0u8; 16];
    // SAFETY: host timespec buffer.
    cvt(unsafe { libc::syscall(libc::SYS_clock_gettime, a[0] as i32, ts.as_mut_ptr()) })?;
    p.mem.write_bytes(a[1], &ts)?;
    Ok(0)
}

pub fn clock_getres(p: &mut Process, a: &Args) -> SysResult {
    let mut ts = [0u8; 16];
    // SAFETY: host timespec buffer.
    cvt(unsafe { libc::syscall(libc::SYS_clock_getres, a[0] as i32, ts.as_mut_ptr()) })?;
    if a[1] != 0 {
        p.mem.write_bytes(a[1], &ts)?;
    }
    Ok(0)
}

pub fn gettimeofday(p: &mut Process, a: &Args) -> SysResult {
    let (mut tv, mut tz) = ([0u8; 16], [0u8; 8]);
    // SAFETY: host timeval and timezone buffers.
    cvt(unsafe { libc::syscall(libc::SYS_gettimeofday, tv.as_mut_ptr(), tz.as_mut_ptr()) })?;
    if a[0] != 0 {
        p.mem.write_bytes(a[0], &tv)?;
    }
    if a[1] != 0 {
        p.mem.write_bytes(a[1], &tz)?;
    }
    Ok(0)
}

pub fn nanosleep(p: &mut Process, a: &Args) -> SysResult {
    let req = read_ts(p, a[0])?;
    let mut rem = [0u8; 16];
    // SAFETY: host timespec copies.
    let r = cvt(unsafe { libc::syscall(libc::SYS_nanosleep, req.as_ptr(), rem.as_mut_ptr()) });
    if r == Err(EINTR) && a[1] != 0 {
        p.mem.write_bytes(a[1], &rem)?;
    }
    r
}

pub fn clock_nanosleep(p: &mut Process, a: &Args) -> SysResult {
    let req = read_ts(p, a[2])?;
    let mut rem = [0u8; 16];
    // SAFETY: host timespec copies; clock id and flags are integers.
    let r = cvt(unsafe {
        libc::syscall(
            libc::SYS_clock_nanosleep,
            a[0] as i32,
            a[1] as i32,
            req.as_ptr(),
            rem.as_mut_ptr(),
        )
    });
    if r == Err(EINTR) && a[3] != 0 {
        p.mem.write_bytes(a[3], &rem)?;
    }
    r
}
