// status.cpp - status names and the log/abort hooks of the freestanding runtime.
#include "vae_rt/status.h"

namespace vae_rt {
namespace {

void default_log(const char*) {}
[[noreturn]] void spin_forever() {
  for (;;) {
  }
}
LogHook g_log = default_log;
AbortHook g_abort = nullptr;

}  // namespace

const char* status_str(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::null_argument: return "null argument";
    case Status::misaligned: return "buffer misaligned";
    case Status::arena_too_small: return "arena too small";
    case Status::truncated: return "file truncated";
    case Status::bad_magic: return "bad magic (not a vae weight file)";
    case Status::bad_version: return "unsupported format version";
    case Status::dims_mismatch: return "model dimensions differ from the compiled ones";
    case Status::bad_dtype: return "unsupported tensor dtype";
    case Status::bad_shape: return "tensor shape differs from the model's";
    case Status::bad_offset: return "tensor or note outside the file";
    case Status::missing_tensor: return "required tensor missing";
    case Status::bad_crc: return "CRC32 mismatch (file corrupt)";
    case Status::bad_header: return "header field out of range";
    case Status::trailing_bytes: return "bytes after the end of the file";
    case Status::bad_alignment: return "tensor offset not 64-byte aligned";
    case Status::overlap: return "tensors overlap";
    case Status::bad_name: return "malformed tensor name";
    case Status::duplicate_tensor: return "duplicate tensor name";
    case Status::unsupported_feature: return "unsupported feature flag";
    case Status::bad_size: return "tensor byte size differs from its shape";
    case Status::bad_value: return "tensor value out of range";
  }
  return "unknown status";
}

LogHook set_log_hook(LogHook hook) {
  LogHook old = g_log;
  g_log = hook ? hook : default_log;
  return old;
}

AbortHook set_abort_hook(AbortHook hook) {
  AbortHook old = g_abort;
  g_abort = hook;
  return old;
}

void log(const char* message) { g_log(message); }

void fatal(const char* message) {
  if (g_abort) g_abort(message);
  spin_forever();   // an abort hook that returns, or none installed: stop here
}

}  // namespace vae_rt
