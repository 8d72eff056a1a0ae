// HTTP surface of the UEM role under /uem/v1 (contract in docs/uem.md and docs/openapi.yaml).
// Device endpoints authenticate with the device secret (`Authorization: Bearer <deviceSecret>`);
// admin endpoints with an admin bearer token checked by the injected `authorize_admin` (the app
// module owns admin tokens) against DeviceManagementManagedDevices.* (tokens, devices, commands)
// or DeviceManagementConfiguration.* (compliance policies).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/http_types.h"
#include "uem/uem_service.h"

namespace gatehouse::uem {

inline constexpr const char* kDevicesRead = "DeviceManagementManagedDevices.Read.All";
inline constexpr const char* kDevicesWrite = "DeviceManagementManagedDevices.ReadWrite.All";
inline constexpr const char* kConfigurationRead = "DeviceManagementConfiguration.Read.All";
inline constexpr const char* kConfigurationWrite = "DeviceManagementConfiguration.ReadWrite.All";

struct UemApiContext {
  UemService* service = nullptr;
  // nullopt when the request's admin token holds `scope`; otherwise the 401/403 answer.
  std::function<std::optional<http::HttpResponse>(const http::HttpRequest&, const std::string& scope)>
      authorize_admin;
};

[[nodiscard]] std::shared_ptr<void> RegisterUemApi(http::Router& router, UemApiContext& context);

}  // namespace gatehouse::uem
