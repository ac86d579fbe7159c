// pyvet's one native accelerator: inflating a zip member into a buffer the caller owns and
// reuses, with libdeflate (third_party/libdeflate), and CRC-32. Node's zlib allocates a new
// output buffer per call and inflates at about half libdeflate's speed; with several GB of
// members to check per GB of wheels, those two costs were most of a mirror's CPU time.
//
// Everything here is optional: src/artifacts/native.ts falls back to node:zlib when this addon
// is not built, and the tests check that both give the same answers.
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include "libdeflate.h"

// Results of inflateRawInto besides a byte count.
#define INFLATE_BAD_DATA -1
#define INFLATE_TOO_LONG -2

static void free_decompressor(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  libdeflate_free_decompressor((struct libdeflate_decompressor *)data);
}

static int bytes_of(napi_env env, napi_value value, uint8_t **data, size_t *length) {
  bool is_typed;
  if (napi_is_typedarray(env, value, &is_typed) != napi_ok || !is_typed) return 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, value, &type, length, (void **)data, &buffer, &offset) != napi_ok) return 0;
  return type == napi_uint8_array;
}

// inflateRawInto(src: Uint8Array, dst: Uint8Array): number
// The count of bytes written into dst when src is one complete raw DEFLATE stream whose output
// fits; INFLATE_TOO_LONG when the output would not fit (dst is sized to the declared size, so
// this is the member that lies about its size); INFLATE_BAD_DATA for anything else.
static napi_value inflate_raw_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  uint8_t *src, *dst;
  size_t src_len, dst_len, out_len = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 || !bytes_of(env, argv[0], &src, &src_len) ||
      !bytes_of(env, argv[1], &dst, &dst_len)) {
    napi_throw_type_error(env, NULL, "inflateRawInto(src: Uint8Array, dst: Uint8Array)");
    return NULL;
  }
  // libdeflate reads and writes freely within both: two views of the same bytes would corrupt.
  uintptr_t s0 = (uintptr_t)src, d0 = (uintptr_t)dst;
  if (src_len > 0 && dst_len > 0 && s0 < d0 + dst_len && d0 < s0 + src_len) {
    napi_throw_range_error(env, NULL, "inflateRawInto: src and dst overlap");
    return NULL;
  }
  // One decompressor per thread (per Node environment), made on first use.
  struct libdeflate_decompressor *d = NULL;
  napi_get_instance_data(env, (void **)&d);
  if (d == NULL) {
    d = libdeflate_alloc_decompressor();
    if (d == NULL || napi_set_instance_data(env, d, free_decompressor, NULL) != napi_ok) {
      napi_throw_error(env, NULL, "out of memory for a decompressor");
      return NULL;
    }
  }
  int64_t answer;
  switch (libdeflate_deflate_decompress(d, src, src_len, dst, dst_len, &out_len)) {
    case LIBDEFLATE_SUCCESS:
      answer = (int64_t)out_len;
      break;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
      answer = INFLATE_TOO_LONG;
      break;
    default:
      answer = INFLATE_BAD_DATA;
  }
  napi_create_int64(env, answer, &result);
  return result;
}

// crc32(bytes: Uint8Array, crc: number): number (unsigned), continuing from crc.
static napi_value crc32(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_value result;
  uint8_t *data;
  size_t length;
  uint32_t crc = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || !bytes_of(env, argv[0], &data, &length) ||
      (argc > 1 && napi_get_value_uint32(env, argv[1], &crc) != napi_ok)) {
    napi_throw_type_error(env, NULL, "crc32(bytes: Uint8Array, crc?: number)");
    return NULL;
  }
  napi_create_uint32(env, libdeflate_crc32(crc, data, length), &result);
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  napi_property_descriptor props[] = {
      {"inflateRawInto", NULL, inflate_raw_into, NULL, NULL, NULL, napi_enumerable, NULL},
      {"crc32", NULL, crc32, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, 2, props) != napi_ok) return NULL;
  return exports;
}
