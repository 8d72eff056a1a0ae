// A plain-HTTP "browser" for the sign-in integration tests: keeps the
// gh_session cookie, posts forms, and reads the fields the pages expose
// (docs/sign-in.md): hidden inputs by name, data-device-nonce /
// data-device-binding, element text by id, data-page.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "integration/admin_client.h"

namespace gatehouse::integration {

inline std::string
FormBody(const std::vector<std::pair<std::string, std::string>> &fields) {
  std::string out;
  for (const auto &[k, v] : fields) {
    if (!out.empty())
      out += '&';
    out += FormEncode(k) + "=" + FormEncode(v);
  }
  return out;
}

inline std::string HtmlUnescape(std::string text) {
  const std::pair<const char *, const char *> entities[] = {{"&lt;", "<"},
                                                            {"&gt;", ">"},
                                                            {"&quot;", "\""},
                                                            {"&#39;", "'"},
                                                            {"&amp;", "&"}};
  for (const auto &[from, to] : entities) {
    std::string::size_type at = 0;
    while ((at = text.find(from, at)) != std::string::npos) {
      text.replace(at, std::string(from).size(), to);
      at += std::string(to).size();
    }
  }
  return text;
}

// value of <input ... name="NAME" value="...">
inline std::string InputValue(const std::string &html,
                              const std::string &name) {
  std::smatch m;
  std::regex re("name=\"" + name + "\"[^>]*value=\"([^\"]*)\"");
  if (std::regex_search(html, m, re))
    return HtmlUnescape(m[1]);
  return "";
}

inline std::string AttributeValue(const std::string &html,
                                  const std::string &attribute) {
  std::smatch m;
  std::regex re(attribute + "=\"([^\"]*)\"");
  if (std::regex_search(html, m, re))
    return HtmlUnescape(m[1]);
  return "";
}

// Text of the element with id="ID" (up to the next '<').
inline std::string ElementText(const std::string &html, const std::string &id) {
  const std::string marker = "id=\"" + id + "\"";
  auto at = html.find(marker);
  if (at == std::string::npos)
    return "";
  auto start = html.find('>', at);
  if (start == std::string::npos)
    return "";
  auto end = html.find('<', start);
  return HtmlUnescape(html.substr(start + 1, end - start - 1));
}

inline std::string PageOf(const std::string &html) {
  return AttributeValue(html, "data-page");
}

// Query parameter of a URL (percent-decoding the few characters our values can
// hold).
inline std::string QueryParam(const std::string &url, const std::string &name) {
  std::smatch m;
  std::regex re("[?&]" + name + "=([^&]*)");
  if (!std::regex_search(url, m, re))
    return "";
  std::string v = m[1];
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '%' && i + 2 < v.size()) {
      out += static_cast<char>(std::stoi(v.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else if (v[i] == '+') {
      out += ' ';
    } else {
      out += v[i];
    }
  }
  return out;
}

class Browser {
public:
  explicit Browser(std::uint16_t port) : client_(port) {}

  http::HttpResponse
  Get(const std::string &target,
      std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send("GET", target, "", std::move(headers));
  }
  http::HttpResponse
  Post(const std::string &target,
       const std::vector<std::pair<std::string, std::string>> &fields,
       std::vector<std::pair<std::string, std::string>> headers = {}) {
    headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return Send("POST", target, FormBody(fields), std::move(headers));
  }
  const std::string &session() const { return session_; }
  void set_session(std::string session) { session_ = std::move(session); }

private:
  http::HttpResponse
  Send(const std::string &method, const std::string &target,
       const std::string &body,
       std::vector<std::pair<std::string, std::string>> headers) {
    if (!session_.empty())
      headers.emplace_back("Cookie", "gh_session=" + session_);
    headers.emplace_back(
        "User-Agent",
        "Mozilla/5.0 (X11; Linux x86_64) GatehouseIntegrationTest/1.0");
    http::HttpResponse response =
        client_.Send(method, target, body, std::move(headers), false);
    for (const auto &[k, v] : response.headers) {
      if (!absl::EqualsIgnoreCase(k, "set-cookie"))
        continue;
      if (absl::StartsWith(v, "gh_session="))
        session_ = v.substr(11, v.find(';') - 11);
    }
    return response;
  }

  AdminClient client_;
  std::string session_;
};

} // namespace gatehouse::integration
