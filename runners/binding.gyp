{
  "targets": [
    {
      "target_name": "tcp_receiver",
      "sources": ["native/tcp-receiver.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    },
    {
      "target_name": "sock_diag",
      "sources": ["native/sock-diag.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
