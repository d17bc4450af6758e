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

/// getitimer(which, curr) / setitimer(which, new, old): `struct itimerval` is four i64 on
/// both ABIs. The timers signal the host process, whose handler delivers to the guest.
pub fn getitimer(p: &mut Process, a: &Args) -> SysResult {
    let mut cur = [0u8; 32];
    // SAFETY: host itimerval buffer.
    cvt(unsafe { libc::syscall(libc::SYS_getitimer, a[0] as i32, cur.as_mut_ptr()) })?;
    p.mem.write_bytes(a[1], &cur)?;
    Ok(0)
}

pub fn setitimer(p: &mut Process, a: &Args) -> SysResult {
    let mut new = [0u8; 32];
    if a[1] != 0 {
        p.mem.read_bytes(a[1], &mut new)?;
    }
    if a[2] != 0 {
        p.mem.slice_mut(a[2], 32)?;
    }
    let mut old = [0u8; 32];
    let np = if a[1] != 0 {
        new.as_ptr()
    } else {
        std::ptr::null()
    };
    // SAFETY: host itimerval buffers (or NULL for an absent new value).
    cvt(unsafe { libc::syscall(libc::SYS_setitimer, a[0] as i32, np, old.as_mut_ptr()) })?;
    if a[2] != 0 {
        p.mem.write_bytes(a[2], &old)?;
    }
    Ok(0)
}

/// timer_create(clockid, sevp, timerid): `struct sigevent` (64 bytes: value, signo, notify,
/// thread id) has the same layout on both ABIs; guest thread ids are host thread ids.
pub fn timer_create(p: &mut Process, a: &Args) -> SysResult {
    let mut sev = [0u8; 64];
    if a[1] != 0 {
        p.mem.read_bytes(a[1], &mut sev)?;
    }
    p.mem.slice_mut(a[2], 4)?;
    let mut id: i32 = 0;
    let sp = if a[1] != 0 {
        sev.as_ptr()
    } else {
        std::ptr::null()
    };
    // SAFETY: host sigevent copy (or NULL) and an i32 out-parameter.
    cvt(unsafe { libc::syscall(libc::SYS_timer_create, a[0] as i32, sp, &mut id as *mut i32) })?;
    p.mem.write_bytes(a[2], &id.to_le_bytes())?;
    Ok(0)
}

pub fn timer_settime(p: &mut Process, a: &Args) -> SysResult {
    let mut new = [0u8; 32];
    p.mem.read_bytes(a[2], &mut new)?;
    let mut old = [0u8; 32];
    // SAFETY: host itimerspec buffers.
    cvt(unsafe {
        libc::syscall(
            libc::SYS_timer_settime,
            a[0] as i32,
            a[1] as i32,
            new.as_ptr(),
            old.as_mut_ptr(),
        )
    })?;
    if a[3] != 0 {
        p.mem.write_bytes(a[3], &old)?;
    }
    Ok(0)
}

pub fn timer_gettime(p: &mut Process, a: &Args) -> SysResult {
    let mut cur = [0u8; 32];
    // SAFETY: host itimerspec buffer.
    cvt(unsafe { libc::syscall(libc::SYS_timer_gettime, a[0] as i32, cur.as_mut_ptr()) })?;
    p.mem.write_bytes(a[1], &cur)?;
    Ok(0)
}

pub fn timer_simple(nr: libc::c_long, a: &Args) -> SysResult {
    // SAFETY: timer_getoverrun / timer_delete take only the timer id.
    cvt(unsafe { libc::syscall(nr, a[0] as i32) })
}
