// Status helpers missing from Debian's Abseil (20220623): early-return macros.
//
//   GH_RETURN_IF_ERROR(DoThing());
//   GH_ASSIGN_OR_RETURN(auto value, ComputeValue());
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define GH_STATUS_CONCAT_INNER_(a, b) a##b
#define GH_STATUS_CONCAT_(a, b) GH_STATUS_CONCAT_INNER_(a, b)

#define GH_RETURN_IF_ERROR(expr)                       \
  do {                                                 \
    if (absl::Status gh_status_ = (expr); !gh_status_.ok()) { \
      return gh_status_;                               \
    }                                                  \
  } while (0)

#define GH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return std::move(tmp).status();  \
  lhs = std::move(*tmp)

#define GH_ASSIGN_OR_RETURN(lhs, expr) \
  GH_ASSIGN_OR_RETURN_IMPL_(GH_STATUS_CONCAT_(gh_statusor_, __LINE__), lhs, expr)
