//! Zeroed space allocated ahead of a log's end, so that a commit's `fdatasync` does not change
//! the file's size (measured on the write-ahead log: up to a third more syncs a second than
//! appending). Shared by the write-ahead log and the segment files.

use std::fs::File;

/// Allocates zeroed space past `allocated` until `needed` bytes fit, in whole `extent`s, and
/// makes the new size durable; returns the size allocated now. `posix_fallocate` costs no data
/// writes where the filesystem supports it (glibc writes zeros where it does not).
pub fn extend(file: &File, allocated: u64, needed: u64, extent: u64) -> std::io::Result<u64> {
    use std::os::fd::AsRawFd;
    if needed <= allocated {
        return Ok(allocated);
    }
    let target = needed.div_ceil(extent) * extent;
    let (offset, len) = (
        allocated as libc::off_t,
        (target - allocated) as libc::off_t,
    );
    // SAFETY: a plain system call on a descriptor `file` owns.
    let status = unsafe { libc::posix_fallocate(file.as_raw_fd(), offset, len) };
    if status != 0 {
        return Err(std::io::Error::from_raw_os_error(status));
    }
    file.sync_all()?;
    Ok(target)
}
