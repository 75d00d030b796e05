{
  "targets": [
    {
      "target_name": "tcp6_receiver",
      "sources": ["native/tcp6-receiver.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
