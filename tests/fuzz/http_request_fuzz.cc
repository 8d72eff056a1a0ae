// libFuzzer target for the untrusted request text the http module interprets itself (Beast parses
// the HTTP framing): bytes -> ParseRequestTarget -> Router::Dispatch, plus PercentDecode on the raw
// bytes. Beyond "no crash, no sanitizer report" it checks the contract: a decoded path or query
// never contains NUL, decoding never grows the text, a parsed target always starts with '/', a
// dispatch answers 200 (a route matched and every parameter is non-empty), 404 or 405 (with Allow).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/http_types.h"
#include "http/internal/request_target.h"

namespace {

using gatehouse::http::HttpRequest;
using gatehouse::http::HttpResponse;
using gatehouse::http::Router;

void Check(bool condition) {
  if (!condition) std::abort();
}

const Router& TestRouter() {
  static const Router* router = [] {
    auto* r = new Router();
    auto ok = [](HttpRequest& request) {
      for (const auto& [name, value] : request.path_params) Check(!name.empty() && !value.empty());
      return HttpResponse::Text(200, "ok");
    };
    r->Add("GET", "/v1.0/users/{id}", ok);
    r->Add("GET", "/v1.0/users/{id}/memberOf", ok);
    r->Add("PATCH", "/v1.0/users/{id}", ok);
    r->Add("GET", "/v1.0/users/delta", ok);
    r->Add("POST", "/v1.0/identity/conditionalAccess/policies", ok);
    r->Add("GET", "/", ok);
    return r;
  }();
  return *router;
}

bool HasHeader(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name && !value.empty()) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (bool plus_is_space : {false, true}) {
    auto decoded = gatehouse::http::internal::PercentDecode(text, plus_is_space);
    if (decoded.ok()) {
      Check(decoded->size() <= text.size());
      Check(decoded->find('\0') == std::string::npos || text.find('\0') != std::string_view::npos);
    }
  }

  auto target = gatehouse::http::internal::ParseRequestTarget(text);
  if (!target.ok()) return 0;
  Check(!text.empty() && text.front() == '/');
  for (const auto& [key, value] : target->query) {
    Check(key.find('\0') == std::string::npos || text.find('\0') != std::string_view::npos);
    (void)value;
  }
  for (const char* method : {"GET", "PATCH", "DELETE"}) {
    HttpRequest request;
    request.method = method;
    request.target = std::string(text);
    request.path = target->path;
    request.query = target->query;
    const HttpResponse response = TestRouter().Dispatch(request);
    Check(response.status == 200 || response.status == 404 || response.status == 405);
    if (response.status == 405) Check(HasHeader(response, "Allow"));
  }
  return 0;
}
