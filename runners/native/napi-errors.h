/*
 * What synack's addons share: N-API status checks and errors that carry the errno.
 * ADDON_NAME must be defined (a string) before this header is included.
 */
#ifndef SYNACK_NAPI_ERRORS_H
#define SYNACK_NAPI_ERRORS_H

#include <node_api.h>
#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                                                \
  do {                                                                                             \
    if ((call) != napi_ok) {                                                                       \
      napi_throw_error(env, "SYNACK_ERR_NATIVE", ADDON_NAME ": " #call " failed");               \
      return NULL;                                                                                 \
    }                                                                                              \
  } while (0)

/* Throws an Error whose message names the call and the errno, with `errno` as a property. */
static inline napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  char code[32];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  snprintf(code, sizeof code, "%d", err);
  napi_value error, code_value, message_value, errno_value;
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &message_value);
  napi_create_string_utf8(env, code, NAPI_AUTO_LENGTH, &code_value);
  napi_create_error(env, code_value, message_value, &error);
  napi_create_int32(env, err, &errno_value);
  napi_set_named_property(env, error, "errno", errno_value);
  napi_throw(env, error);
  return NULL;
}

#endif
