// Reads sign-in descriptions into SignInContext: the What If request (Graph v1.0 shape and the
// legacy beta shape, shared DESIGN §3.2) and the evaluate input (§3.3). Enum tokens are
// case-insensitive; every problem names its JSON pointer.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "ca/sign_in.h"
#include "core/problem.h"
#include "directory/directory_snapshot.h"
#include "location/named_location.h"
#include "nlohmann/json_fwd.hpp"

namespace gatehouse::ca {

struct SignInRequest {
  SignInContext context;
  // The device a What If `deviceInfo` describes; context.device points at it.
  std::unique_ptr<directory::Device> described_device;
  bool applied_policies_only = false;
};

// A What If request body. Missing conditions take Graph's defaults (client app "all", platform
// unknown, risks none, no device identity).
absl::StatusOr<SignInRequest> ReadWhatIfRequest(const nlohmann::json& body,
                                                const directory::DirectorySnapshot& directory,
                                                const location::CountryResolver* geoip,
                                                core::ProblemList& problems);

// An evaluate input: the What If fields plus `session` and `time`. The device is the directory
// record named by session.deviceId (null: no device identity presented).
absl::StatusOr<SignInRequest> ReadSignInRequest(const nlohmann::json& body,
                                                const directory::DirectorySnapshot& directory,
                                                const location::CountryResolver* geoip,
                                                core::ProblemList& problems);

}  // namespace gatehouse::ca
