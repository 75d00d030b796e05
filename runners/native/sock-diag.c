/*
 * Listening TCP sockets and half-open connection counts from NETLINK_SOCK_DIAG (inet_diag), what
 * `ss -ltn` and `ss -tn state syn-recv` read. /proc/net/tcp cannot replace it: its tx_queue column
 * is not a listener's backlog, and it lacks IPV6_V6ONLY.
 *
 * listeners(family 4 | 6) -> { listeners: [{ address, port, acceptQueue, acceptQueueMax, v6Only,
 * ifindex }], synRecv: [{ port, count }], truncated } for the calling thread's network namespace.
 * Synchronous and bounded: one netlink socket, one dump, a receive timeout, a fixed buffer and at
 * most MAX_LISTENERS entries (then `truncated` is true). Needs no privilege.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define ADDON_NAME "sock-diag"
#include "napi-errors.h"

/* include/net/tcp_states.h: not in the uapi headers. Request sockets live in the established hash
 * as TCP_NEW_SYN_RECV; inet_req_diag_fill() reports them as TCP_SYN_RECV. */
#define STATE_SYN_RECV 3
#define STATE_LISTEN 10
#define STATE_NEW_SYN_RECV 12

#define RECEIVE_BUFFER_BYTES (64 * 1024)
#define MAX_LISTENERS 65536
#define RECEIVE_TIMEOUT_S 2

typedef struct {
  char address[INET6_ADDRSTRLEN];
  uint16_t port;
  uint32_t accept_queue;
  uint32_t accept_queue_max;
  int v6_only; /* -1: not reported (IPv4) */
  uint32_t ifindex;
} listener_t;

typedef struct {
  listener_t *listeners;
  size_t count;
  size_t capacity;
  int truncated;
  int out_of_memory;
  uint32_t *syn_recv; /* by local port */
} dump_t;


/* One SOCK_DIAG_BY_FAMILY message: a listener, or a SYN-RECV socket to count by local port. */
static void take_message(dump_t *dump, int family, const struct nlmsghdr *header) {
  if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg))) return;
  const struct inet_diag_msg *message = NLMSG_DATA(header);
  uint16_t port = ntohs(message->id.idiag_sport);
  if (message->idiag_state == STATE_SYN_RECV || message->idiag_state == STATE_NEW_SYN_RECV) {
    dump->syn_recv[port]++;
    return;
  }
  if (message->idiag_state != STATE_LISTEN) return;
  if (dump->count >= MAX_LISTENERS) {
    dump->truncated = 1;
    return;
  }
  if (dump->count == dump->capacity) {
    /* Doubling from 64: most hosts have a few dozen listeners. */
    size_t capacity = dump->capacity * 2;
    listener_t *grown = realloc(dump->listeners, capacity * sizeof *grown);
    if (!grown) {
      dump->out_of_memory = 1;
      return;
    }
    dump->listeners = grown;
    dump->capacity = capacity;
  }
  listener_t *listener = &dump->listeners[dump->count++];
  memset(listener, 0, sizeof *listener);
  if (!inet_ntop(family, message->id.idiag_src, listener->address, sizeof listener->address))
    listener->address[0] = '\0';
  listener->port = port;
  /* tcp_diag_get_info(): for a listener, rqueue is sk_ack_backlog and wqueue sk_max_ack_backlog. */
  listener->accept_queue = message->idiag_rqueue;
  listener->accept_queue_max = message->idiag_wqueue;
  listener->ifindex = message->id.idiag_if;
  listener->v6_only = -1;
  /* inet_diag_msg_attrs_fill() adds INET_DIAG_SKV6ONLY to every AF_INET6 listener, unasked. */
  int length = (int)(header->nlmsg_len - NLMSG_LENGTH(sizeof *message));
  for (const struct rtattr *attribute = (const struct rtattr *)(message + 1); RTA_OK(attribute, length);
       attribute = RTA_NEXT(attribute, length)) {
    if (attribute->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(attribute) >= 1)
      listener->v6_only = *(const uint8_t *)RTA_DATA(attribute) != 0;
  }
}

/* Runs one dump; returns 0, or an errno with *what naming the step that failed. */
static int run_dump(int fd, int family, dump_t *dump, char *buffer, const char **what) {
  struct {
    struct nlmsghdr header;
    struct inet_diag_req_v2 request;
  } query;
  memset(&query, 0, sizeof query);
  const uint32_t seq = 1;
  query.header.nlmsg_len = sizeof query;
  query.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  query.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  query.header.nlmsg_seq = seq;
  query.request.sdiag_family = family;
  query.request.sdiag_protocol = IPPROTO_TCP;
  query.request.idiag_states = (1u << STATE_LISTEN) | (1u << STATE_SYN_RECV) | (1u << STATE_NEW_SYN_RECV);
  struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
  ssize_t sent;
  do {
    sent = sendto(fd, &query, sizeof query, 0, (struct sockaddr *)&kernel, sizeof kernel);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) {
    *what = "sendto(NETLINK_SOCK_DIAG)";
    return errno;
  }
  if ((size_t)sent != sizeof query) {
    *what = "sendto(NETLINK_SOCK_DIAG): short write";
    return EIO;
  }
  for (;;) {
    struct iovec iov = {.iov_base = buffer, .iov_len = RECEIVE_BUFFER_BYTES};
    struct sockaddr_nl from;
    struct msghdr message = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    ssize_t received = recvmsg(fd, &message, 0);
    if (received < 0) {
      if (errno == EINTR) continue;
      *what = "recvmsg(NETLINK_SOCK_DIAG)";
      return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
    }
    if (message.msg_flags & MSG_TRUNC) {
      *what = "recvmsg(NETLINK_SOCK_DIAG): message larger than the buffer";
      return EMSGSIZE;
    }
    if (received == 0) {
      *what = "recvmsg(NETLINK_SOCK_DIAG): end of stream before NLMSG_DONE";
      return EIO;
    }
    int length = (int)received;
    for (const struct nlmsghdr *header = (const struct nlmsghdr *)buffer; NLMSG_OK(header, length);
         header = NLMSG_NEXT(header, length)) {
      if (from.nl_pid != 0 || header->nlmsg_seq != seq) continue;
      if (header->nlmsg_type == NLMSG_DONE) {
        /* netlink_dump_done(): a dump that failed half-way ends with a negative errno here. */
        if (header->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
          int status;
          memcpy(&status, NLMSG_DATA(header), sizeof status);
          if (status < 0) {
            *what = "NETLINK_SOCK_DIAG dump";
            return -status;
          }
        }
        return 0;
      }
      if (header->nlmsg_type == NLMSG_ERROR) {
        if (header->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
          *what = "NETLINK_SOCK_DIAG: truncated error message";
          return EIO;
        }
        const struct nlmsgerr *error = NLMSG_DATA(header);
        if (error->error == 0) continue;
        *what = "NETLINK_SOCK_DIAG request";
        return -error->error;
      }
      if (header->nlmsg_type == SOCK_DIAG_BY_FAMILY) take_message(dump, family, header);
    }
  }
}

static napi_value set_uint32(napi_env env, napi_value object, const char *name, uint32_t value) {
  napi_value number;
  CHECK(napi_create_uint32(env, value, &number));
  CHECK(napi_set_named_property(env, object, name, number));
  return object;
}

static napi_value to_js(napi_env env, const dump_t *dump) {
  napi_value result, listeners, syn_recv, value;
  CHECK(napi_create_object(env, &result));
  CHECK(napi_create_array_with_length(env, dump->count, &listeners));
  for (size_t i = 0; i < dump->count; i++) {
    const listener_t *listener = &dump->listeners[i];
    napi_value entry;
    CHECK(napi_create_object(env, &entry));
    CHECK(napi_create_string_utf8(env, listener->address, NAPI_AUTO_LENGTH, &value));
    CHECK(napi_set_named_property(env, entry, "address", value));
    if (!set_uint32(env, entry, "port", listener->port)) return NULL;
    if (!set_uint32(env, entry, "acceptQueue", listener->accept_queue)) return NULL;
    if (!set_uint32(env, entry, "acceptQueueMax", listener->accept_queue_max)) return NULL;
    if (!set_uint32(env, entry, "ifindex", listener->ifindex)) return NULL;
    if (listener->v6_only < 0)
      CHECK(napi_get_null(env, &value));
    else
      CHECK(napi_get_boolean(env, listener->v6_only == 1, &value));
    CHECK(napi_set_named_property(env, entry, "v6Only", value));
    CHECK(napi_set_element(env, listeners, (uint32_t)i, entry));
  }
  CHECK(napi_set_named_property(env, result, "listeners", listeners));
  CHECK(napi_create_array(env, &syn_recv));
  uint32_t index = 0;
  for (uint32_t port = 0; port < 65536; port++) {
    if (dump->syn_recv[port] == 0) continue;
    napi_value entry;
    CHECK(napi_create_object(env, &entry));
    if (!set_uint32(env, entry, "port", port)) return NULL;
    if (!set_uint32(env, entry, "count", dump->syn_recv[port])) return NULL;
    CHECK(napi_set_element(env, syn_recv, index++, entry));
  }
  CHECK(napi_set_named_property(env, result, "synRecv", syn_recv));
  CHECK(napi_get_boolean(env, dump->truncated, &value));
  CHECK(napi_set_named_property(env, result, "truncated", value));
  return result;
}

static napi_value listeners(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t version = 0;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &version) != napi_ok || (version != 4 && version != 6)) {
    napi_throw_type_error(env, NULL, "listeners(family 4 or 6)");
    return NULL;
  }
  int family = version == 6 ? AF_INET6 : AF_INET;

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
  if (fd < 0) return throw_errno(env, "socket(AF_NETLINK, NETLINK_SOCK_DIAG)", errno);
  struct timeval timeout = {.tv_sec = RECEIVE_TIMEOUT_S};
  if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "setsockopt(SO_RCVTIMEO)", err);
  }
  dump_t dump = {0};
  char *buffer = malloc(RECEIVE_BUFFER_BYTES);
  dump.syn_recv = calloc(65536, sizeof *dump.syn_recv);
  dump.capacity = 64;
  dump.listeners = malloc(dump.capacity * sizeof *dump.listeners);
  if (!buffer || !dump.syn_recv || !dump.listeners) {
    free(buffer);
    free(dump.syn_recv);
    free(dump.listeners);
    close(fd);
    return throw_errno(env, "sock-diag: allocating buffers", ENOMEM);
  }
  const char *what = "";
  int err = run_dump(fd, family, &dump, buffer, &what);
  if (err == 0 && dump.out_of_memory) {
    what = "sock-diag: growing the listener list";
    err = ENOMEM;
  }
  close(fd);
  free(buffer);
  napi_value result = NULL;
  if (err != 0)
    throw_errno(env, what, err);
  else
    result = to_js(env, &dump);
  free(dump.syn_recv);
  free(dump.listeners);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor properties[] = {
      {"listeners", NULL, listeners, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 1, properties));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
