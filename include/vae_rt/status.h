// vae_rt/status.h - status codes and the platform hooks of the freestanding runtime.
//
// The runtime never throws and never aborts by itself: every fallible call returns a Status.
// Logging and aborting are hooks that each platform installs (a UART on a board, stderr on a
// host); by default log does nothing and abort spins forever, which is what a bare-metal target
// without an installed hook can safely do.
#pragma once

namespace vae_rt {

enum class Status : int {
  ok = 0,
  null_argument,      // a required pointer was null
  misaligned,         // a buffer does not have the required alignment
  arena_too_small,    // the caller's arena is smaller than the runtime needs
  truncated,          // the file ends before its header, table or a tensor
  bad_magic,          // not a vae weight file
  bad_version,        // a format version this runtime does not read
  dims_mismatch,      // the file's model dimensions differ from the compile-time sizes
  bad_dtype,          // a tensor's dtype is unknown or not allowed here
  bad_shape,          // a tensor's shape differs from what the model needs
  bad_offset,         // a tensor (or the table, or the note) lies outside the file
  missing_tensor,     // a tensor the decoder needs is not in the table
  bad_crc,            // the CRC32 over the file does not match
  bad_header,         // a header field is out of range (flags, counts, sizes)
  trailing_bytes,     // more bytes than the header's file size
  bad_alignment,      // a tensor's offset is not a multiple of 64
  overlap,            // two tensors (or a tensor and the note/table) share bytes
  bad_name,           // a tensor name is empty, unterminated or has characters outside [a-z0-9_.]
  duplicate_tensor,   // two tensors have the same name
  unsupported_feature,// a flag this runtime does not implement (unknown bits, dec_hidden2, ...)
  bad_size,           // a tensor's byte size differs from its shape times its dtype size
  bad_value,          // a tensor holds a value outside its allowed range (NaN, inf, a huge log variance)
};

// A short, stable, human-readable name for a status ("bad CRC32", ...). Never null.
const char* status_str(Status s);

using LogHook = void (*)(const char* message);
using AbortHook = void (*)(const char* message);

// Install hooks; null restores the default. Returns the previous hook.
LogHook set_log_hook(LogHook hook);
AbortHook set_abort_hook(AbortHook hook);

void log(const char* message);
[[noreturn]] void fatal(const char* message);

}  // namespace vae_rt
