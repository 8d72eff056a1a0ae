// HTTP messages as the rest of Gatehouse sees them: plain structs, no Boost. Handlers receive an
// HttpRequest and return an HttpResponse; only the http module's .cc files include Beast/Asio.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"

namespace gatehouse::http {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as received: path plus query
  std::string path;    // percent-decoded path without the query
  std::map<std::string, std::string> query;  // percent-decoded query parameters (last wins)
  std::map<std::string, std::string> headers;  // names lower-cased
  std::map<std::string, std::string> path_params;  // filled by Router ("{id}" -> value)
  std::string body;
  std::string remote_address;  // peer IP (no port); X-Forwarded-For is never consulted
  std::string request_id;      // assigned by the server, echoed in the response header

  // Header value or "" (name is matched case-insensitively).
  std::string Header(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  void SetHeader(std::string name, std::string value);
  static HttpResponse Json(int status, std::string body);   // application/json
  static HttpResponse Text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
};

// RFC 9457 problem+json: {"type","title","status","detail",...extra}. `extra_json` is a JSON object
// text whose members are merged in (e.g. {"errors":[{"pointer":"/state","detail":"..."}]}).
HttpResponse Problem(int status, std::string_view title, std::string_view detail,
                     std::string_view extra_json = "");
// The one place canonical status codes map to HTTP statuses.
int HttpStatusFor(absl::StatusCode code);
// Problem response for a non-OK status (title from the code, detail = message).
HttpResponse ProblemFor(const absl::Status& status);

using Handler = std::function<HttpResponse(HttpRequest&)>;

// Routes by method and path pattern ("/v1.0/users/{id}/memberOf"); segments in braces capture
// into HttpRequest::path_params. 404 problem for an unknown path, 405 (with Allow) for a known path
// with another method. Thread-safe for dispatch once built.
class Router {
 public:
  void Add(std::string method, std::string pattern, Handler handler);
  HttpResponse Dispatch(HttpRequest& request) const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace gatehouse::http
