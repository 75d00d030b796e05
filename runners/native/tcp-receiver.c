/*
 * The raw TCP socket the SYN engine reads replies from (it still sends through raw-socket).
 * Two reasons for it:
 * - IPv6 raw sockets never deliver the IPv6 header (RFC 3542 3), so a SYN-ACK's hop limit only
 *   arrives as IPV6_HOPLIMIT ancillary data, and raw-socket reads with recvfrom().
 * - Cost per packet: raw-socket allocates a JS string for the sender and a persistent callback
 *   handle on every read, and throws an Error (with a stack) each time the socket is drained.
 *   Here a read allocates nothing, and "drained" is a return value.
 *
 * The readiness callback goes through napi_make_callback, so promise reactions queued while
 * handling packets run before control returns to the event loop.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define ADDON_NAME "tcp-receiver"
#include "napi-errors.h"

typedef struct {
  int fd;
  int family;
  int closed;
  uv_poll_t poll;
  napi_env env;
  napi_ref on_readable;
  napi_async_context async_context;
} receiver_t;


static void on_handle_closed(uv_handle_t *handle) { free(handle->data); }

/* Stops polling and closes the socket; the struct is freed once libuv lets go of the handle. */
static void shut(receiver_t *receiver) {
  if (receiver->closed) return;
  receiver->closed = 1;
  uv_poll_stop(&receiver->poll);
  close(receiver->fd);
  napi_delete_reference(receiver->env, receiver->on_readable);
  napi_async_destroy(receiver->env, receiver->async_context);
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  receiver_t *receiver = data;
  shut(receiver);
  receiver->poll.data = receiver;
  uv_close((uv_handle_t *)&receiver->poll, on_handle_closed);
}

static void on_poll(uv_poll_t *handle, int status, int events) {
  (void)events;
  receiver_t *receiver = handle->data;
  if (receiver->closed) return;
  napi_env env = receiver->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value callback, recv, argv[1], result;
  napi_get_reference_value(env, receiver->on_readable, &callback);
  napi_get_global(env, &recv);
  napi_create_int32(env, status < 0 ? -status : 0, &argv[0]);
  if (napi_make_callback(env, receiver->async_context, recv, callback, 1, argv, &result) ==
      napi_pending_exception) {
    napi_value exception;
    napi_get_and_clear_last_exception(env, &exception);
    napi_fatal_exception(env, exception);
  }
  napi_close_handle_scope(env, scope);
}

/*
 * open(family: 4 | 6, onReadable, receiveBufferBytes) -> handle. onReadable(errno) is called on
 * readiness. IPv4 packets are read with their IP header, as raw IPv4 sockets always deliver it.
 */
static napi_value open_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_valuetype type = napi_undefined;
  if (argc >= 3) CHECK(napi_typeof(env, argv[1], &type));
  int32_t family = 0;
  if (type != napi_function || napi_get_value_int32(env, argv[0], &family) != napi_ok ||
      (family != 4 && family != 6)) {
    napi_throw_type_error(env, NULL, "open(family 4 or 6, onReadable, receiveBufferBytes)");
    return NULL;
  }
  int32_t buffer_bytes = 0;
  CHECK(napi_get_value_int32(env, argv[2], &buffer_bytes));

  int domain = family == 6 ? AF_INET6 : AF_INET;
  int fd = socket(domain, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return throw_errno(env, "socket(SOCK_RAW, IPPROTO_TCP)", errno);
  int on = 1;
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(IPV6_RECVHOPLIMIT)", err);
  }
  /* FORCE needs CAP_NET_ADMIN; without it the plain option is capped by rmem_max, still fine. */
  if (buffer_bytes > 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buffer_bytes, sizeof buffer_bytes) < 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);

  receiver_t *receiver = calloc(1, sizeof *receiver);
  if (!receiver) {
    close(fd);
    napi_throw_error(env, "SYNACK_ERR_NATIVE", "tcp-receiver: out of memory");
    return NULL;
  }
  receiver->fd = fd;
  receiver->env = env;
  uv_loop_t *loop;
  napi_value handle, resource_name;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &receiver->poll, fd) != 0) {
    close(fd);
    free(receiver);
    napi_throw_error(env, "SYNACK_ERR_NATIVE", "tcp-receiver: cannot poll the socket");
    return NULL;
  }
  receiver->poll.data = receiver;
  napi_create_object(env, &handle);
  napi_create_string_utf8(env, "synack.tcp-receiver", NAPI_AUTO_LENGTH, &resource_name);
  receiver->family = family;
  napi_create_reference(env, argv[1], 1, &receiver->on_readable);
  napi_async_init(env, handle, resource_name, &receiver->async_context);
  if (napi_wrap(env, handle, receiver, finalize, NULL, NULL) != napi_ok) {
    shut(receiver);
    uv_close((uv_handle_t *)&receiver->poll, on_handle_closed);
    napi_throw_error(env, "SYNACK_ERR_NATIVE", "tcp-receiver: cannot wrap the socket");
    return NULL;
  }
  uv_poll_start(&receiver->poll, UV_READABLE, on_poll);
  return handle;
}

static receiver_t *unwrap(napi_env env, napi_value handle) {
  receiver_t *receiver = NULL;
  if (napi_unwrap(env, handle, (void **)&receiver) != napi_ok || !receiver) {
    napi_throw_type_error(env, NULL, "not a tcp-receiver handle");
    return NULL;
  }
  return receiver;
}

/*
 * read(handle, packet: Uint8Array, meta: Uint8Array(20)) -> length, or -errno when nothing was
 * read (-EAGAIN once drained). On success meta[0..16) holds the sender's address (IPv4: the first
 * 4 bytes) and meta[16..20) the IPv6 hop limit as a little-endian int32 (-1 when the kernel gave
 * none, and always for IPv4, whose TTL is in the packet). No exception and no allocation per
 * packet: this runs tens of thousands of times a second.
 */
static napi_value read_packet(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], result;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  receiver_t *receiver = unwrap(env, argv[0]);
  if (!receiver) return NULL;
  void *packet, *meta;
  size_t packet_length, meta_length;
  napi_typedarray_type kind;
  napi_value backing;
  size_t offset;
  if (argc < 3 ||
      napi_get_typedarray_info(env, argv[1], &kind, &packet_length, &packet, &backing, &offset) != napi_ok ||
      kind != napi_uint8_array ||
      napi_get_typedarray_info(env, argv[2], &kind, &meta_length, &meta, &backing, &offset) != napi_ok ||
      kind != napi_uint8_array || meta_length < 20) {
    napi_throw_type_error(env, NULL, "read(handle, packet, meta) expects two Uint8Arrays, meta of 20 bytes");
    return NULL;
  }
  if (receiver->closed) {
    CHECK(napi_create_int32(env, -EBADF, &result));
    return result;
  }
  struct sockaddr_storage from;
  struct iovec iov = {.iov_base = packet, .iov_len = packet_length};
  union {
    char bytes[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  struct msghdr message = {
      .msg_name = &from,
      .msg_namelen = sizeof from,
      .msg_iov = &iov,
      .msg_iovlen = 1,
      .msg_control = control.bytes,
      .msg_controllen = sizeof control.bytes,
  };
  ssize_t length = recvmsg(receiver->fd, &message, 0);
  if (length < 0) {
    CHECK(napi_create_int32(env, -errno, &result));
    return result;
  }
  int32_t hop_limit = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&message); c; c = CMSG_NXTHDR(&message, c)) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
      int value;
      memcpy(&value, CMSG_DATA(c), sizeof value);
      hop_limit = value;
    }
  }
  unsigned char *out = meta;
  if (receiver->family == 6)
    memcpy(out, &((struct sockaddr_in6 *)&from)->sin6_addr, 16);
  else
    memcpy(out, &((struct sockaddr_in *)&from)->sin_addr, 4);
  out[16] = hop_limit & 0xff;
  out[17] = (hop_limit >> 8) & 0xff;
  out[18] = (hop_limit >> 16) & 0xff;
  out[19] = (hop_limit >> 24) & 0xff;
  CHECK(napi_create_int32(env, (int32_t)length, &result));
  return result;
}

/* close(handle): stops reading at once; safe to call twice. */
static napi_value close_receiver(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  receiver_t *receiver = unwrap(env, argv[0]);
  if (receiver) shut(receiver);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"open", NULL, open_receiver, NULL, NULL, NULL, napi_default, NULL},
      {"read", NULL, read_packet, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, close_receiver, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 3, properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
