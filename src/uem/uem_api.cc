#include "uem/uem_api.h"

#include "absl/strings/numbers.h"
#include "core/json_document.h"
#include "nlohmann/json.hpp"

namespace gatehouse::uem {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using nlohmann::json;

HttpResponse JsonAnswer(int status, const json& body) { return HttpResponse::Json(status, body.dump()); }

std::optional<json> Body(const HttpRequest& request, HttpResponse& error) {
  auto doc = core::ParseJsonDocument(request.body.empty() ? std::string("{}") : request.body);
  if (!doc.ok()) {
    error = http::Problem(400, "The request body is not JSON", std::string(doc.status().message()));
    return std::nullopt;
  }
  if (!doc->is_object()) {
    error = http::Problem(400, "The request body is not valid", "expected a JSON object");
    return std::nullopt;
  }
  return std::move(*doc);
}

std::string BearerOf(const HttpRequest& request) {
  std::string header = request.Header("authorization");
  if (header.size() > 7 && (header.rfind("Bearer ", 0) == 0 || header.rfind("bearer ", 0) == 0)) {
    return header.substr(7);
  }
  return "";
}

HttpResponse Answer(const absl::StatusOr<json>& result, int status = 200) {
  if (!result.ok()) return http::ProblemFor(result.status());
  return JsonAnswer(status, *result);
}

class UemApi {
 public:
  explicit UemApi(UemApiContext& context) : ctx_(context) {}

  void Register(http::Router& router) {
    UemService& s = *ctx_.service;
    // Enrolment tokens.
    router.Add("POST", "/uem/v1/enrollmentTokens", Admin(kDevicesWrite, [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.CreateEnrollmentToken(*body), 201);
    }));
    router.Add("GET", "/uem/v1/enrollmentTokens", Admin(kDevicesRead, [&s](HttpRequest&) {
      return Answer(s.ListEnrollmentTokens());
    }));
    router.Add("DELETE", "/uem/v1/enrollmentTokens/{id}", Admin(kDevicesWrite, [&s](HttpRequest& r) {
      absl::Status st = s.RevokeEnrollmentToken(r.path_params["id"]);
      return st.ok() ? HttpResponse{204, {}, ""} : http::ProblemFor(st);
    }));
    // Device side.
    router.Add("POST", "/uem/v1/enroll", [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.Enroll(*body), 201);
    });
    router.Add("POST", "/uem/v1/devices/{id}/checkins", Device([&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.CheckIn(r.path_params["id"], *body));
    }));
    router.Add("POST", "/uem/v1/devices/{id}/directoryLink", Device([&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      auto it = body->find("directoryDeviceId");
      if (it == body->end() || !it->is_string()) {
        return http::Problem(400, "The request body is not valid", "/directoryDeviceId: required string");
      }
      return Answer(s.LinkDirectoryDevice(r.path_params["id"], it->get<std::string>()));
    }));
    // Devices (admin; re-evaluate also for the device itself).
    router.Add("GET", "/uem/v1/devices", Admin(kDevicesRead, [&s](HttpRequest&) { return Answer(s.ListDevices()); }));
    router.Add("GET", "/uem/v1/devices/{id}", Admin(kDevicesRead, [&s](HttpRequest& r) {
      return Answer(s.GetDevice(r.path_params["id"]));
    }));
    router.Add("PATCH", "/uem/v1/devices/{id}", Admin(kDevicesWrite, [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.PatchDevice(r.path_params["id"], *body));
    }));
    router.Add("POST", "/uem/v1/devices/{id}/reevaluate", [this, &s](HttpRequest& r) {
      const std::string bearer = BearerOf(r);
      if (bearer.rfind("ghd_", 0) == 0) {
        if (!s.AuthenticateDevice(r.path_params["id"], bearer).ok()) return DeviceRefused();
      } else if (auto refused = ctx_.authorize_admin(r, kDevicesWrite)) {
        return *refused;
      }
      return Answer(s.Reevaluate(r.path_params["id"]));
    });
    // Commands.
    router.Add("GET", "/uem/v1/commands", Admin(kDevicesRead, [&s](HttpRequest& r) {
      auto it = r.query.find("state");
      std::string state = it == r.query.end() ? "" : it->second;
      if (!state.empty() && state != "pending" && state != "held" && state != "sent") {
        return http::Problem(400, "Bad query", "state must be pending, held or sent");
      }
      return Answer(s.ListCommands(state));
    }));
    router.Add("POST", "/uem/v1/commands/{id}/confirm", Admin(kDevicesWrite, [&s](HttpRequest& r) {
      std::int64_t id = 0;
      if (!absl::SimpleAtoi(r.path_params["id"], &id)) return http::Problem(404, "Not found", "no such command");
      return Answer(s.ConfirmCommand(id));
    }));
    // Compliance policies.
    router.Add("GET", "/uem/v1/compliancePolicies", Admin(kConfigurationRead, [&s](HttpRequest&) {
      return Answer(s.ListPolicies());
    }));
    router.Add("POST", "/uem/v1/compliancePolicies", Admin(kConfigurationWrite, [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.PutPolicy(*body, std::nullopt, /*must_not_exist=*/true), 201);
    }));
    router.Add("GET", "/uem/v1/compliancePolicies/{id}", Admin(kConfigurationRead, [&s](HttpRequest& r) {
      return Answer(s.GetPolicy(r.path_params["id"]));
    }));
    router.Add("PUT", "/uem/v1/compliancePolicies/{id}", Admin(kConfigurationWrite, [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.PutPolicy(*body, r.path_params["id"], /*must_not_exist=*/false));
    }));
    router.Add("DELETE", "/uem/v1/compliancePolicies/{id}", Admin(kConfigurationWrite, [&s](HttpRequest& r) {
      absl::Status st = s.DeletePolicy(r.path_params["id"]);
      return st.ok() ? HttpResponse{204, {}, ""} : http::ProblemFor(st);
    }));
    router.Add("POST", "/uem/v1/compliancePolicies/{id}/assign", Admin(kConfigurationWrite, [&s](HttpRequest& r) {
      HttpResponse error;
      auto body = Body(r, error);
      if (!body) return error;
      return Answer(s.AssignPolicy(r.path_params["id"], *body));
    }));
    router.Add("GET", "/uem/v1/compliancePolicies/{id}/assignments", Admin(kConfigurationRead, [&s](HttpRequest& r) {
      auto policy = s.GetPolicy(r.path_params["id"]);
      if (!policy.ok()) return http::ProblemFor(policy.status());
      return JsonAnswer(200, json{{"value", (*policy)["assignments"]}});
    }));
    router.Add("POST", "/uem/v1/sweep", Admin(kDevicesWrite, [&s](HttpRequest&) {
      auto changed = s.Sweep();
      if (!changed.ok()) return http::ProblemFor(changed.status());
      return JsonAnswer(200, json{{"changedDevices", *changed}});
    }));
  }

 private:
  static HttpResponse DeviceRefused() {
    HttpResponse r = http::Problem(401, "Authentication required", "the device credential is not valid");
    r.SetHeader("WWW-Authenticate", "Bearer realm=\"gatehouse-uem\"");
    return r;
  }
  http::Handler Admin(const char* scope, http::Handler handler) {
    return [this, scope, handler = std::move(handler)](HttpRequest& r) {
      if (auto refused = ctx_.authorize_admin(r, scope)) return *refused;
      return handler(r);
    };
  }
  http::Handler Device(http::Handler handler) {
    return [this, handler = std::move(handler)](HttpRequest& r) {
      if (!ctx_.service->AuthenticateDevice(r.path_params["id"], BearerOf(r)).ok()) return DeviceRefused();
      return handler(r);
    };
  }

  UemApiContext& ctx_;
};

}  // namespace

std::shared_ptr<void> RegisterUemApi(http::Router& router, UemApiContext& context) {
  auto api = std::make_shared<UemApi>(context);
  api->Register(router);
  return api;
}

}  // namespace gatehouse::uem
