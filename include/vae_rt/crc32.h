// vae_rt/crc32.h - CRC-32 (IEEE 802.3, zlib's crc32: reflected polynomial 0xEDB88320, initial
// value and final xor 0xFFFFFFFF). crc32("123456789") == 0xCBF43926. Freestanding; bitwise with
// a 16-entry nibble table, small enough for flash and fast enough for a file check.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace vae_rt {

// Continue a CRC over more bytes: crc32_update(crc32_update(0, a), b) == crc32(a ++ b).
inline uint32_t crc32_update(uint32_t crc, const void* data, size_t size) {
  static const uint32_t table[16] = {
      0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
      0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
      0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu};
  const uint8_t* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) {
    crc ^= p[i];
    crc = (crc >> 4) ^ table[crc & 15u];
    crc = (crc >> 4) ^ table[crc & 15u];
  }
  return ~crc;
}

inline uint32_t crc32(const void* data, size_t size) { return crc32_update(0, data, size); }

}  // namespace vae_rt
