{
  "targets": [
    {
      "target_name": "pyvet_native",
      "sources": [
        "pyvet_native.c",
        "../third_party/libdeflate/lib/deflate_decompress.c",
        "../third_party/libdeflate/lib/crc32.c",
        "../third_party/libdeflate/lib/utils.c",
        "../third_party/libdeflate/lib/x86/cpu_features.c",
        "../third_party/libdeflate/lib/arm/cpu_features.c"
      ],
      "include_dirs": ["../third_party/libdeflate"],
      "cflags": ["-O2", "-std=c99", "-fvisibility=hidden", "-Wno-sign-compare"],
      "defines": ["NAPI_VERSION=8", "LIBDEFLATE_STATIC"],
      "xcode_settings": { "OTHER_CFLAGS": ["-O2", "-std=c99"] }
    }
  ]
}
