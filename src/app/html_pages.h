// Server-rendered HTML of the sign-in server (issue 5): one layout with inline
// CSS (no external assets, so the pages work on a device that can reach nothing
// but the IdP), HTML escaping, the inline device-proof script and the
// troubleshooting block. The page/field contract (element ids, form field
// names) is documented in docs/sign-in.md and is what browser tests rely on.
#pragma once

#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

namespace gatehouse::app::html {

// Escapes & < > " ' for text and attribute values.
std::string Escape(std::string_view text);

// A complete document: <main id="page" data-page="<page>">body</main>. `script`
// (JavaScript source, may be empty) is placed in one <script nonce="...">
// element at the end.
std::string Layout(std::string_view title, std::string_view page,
                   std::string_view body, std::string_view script = "",
                   std::string_view script_nonce = "");

// <input type="hidden" name=... value=...> (with id = name).
std::string Hidden(std::string_view name, std::string_view value);

// JavaScript that asks the local agent for a device proof
// (GET http://127.0.0.1:<port>/v1/device-proof?nonce=&binding=), puts the
// answer into the hidden field `device_proof` of form `form_id`, and gives up
// after `timeout_ms`. With `auto_submit` the form is submitted once the proof
// is in (or the attempt failed); otherwise a submit made before the attempt
// ended waits for it, and a submit with no proof yet asks the agent once more
// (it may have been started after the page loaded). Writes the outcome into
// #device-status.
std::string DeviceProofScript(std::string_view form_id, std::string_view nonce,
                              std::string_view binding, int agent_port,
                              bool auto_submit, int timeout_ms = 1500);

// The copyable troubleshooting block: <section id="troubleshooting"> with one
// <span id="<id>">value</span> per row and a <textarea
// id="troubleshooting-text"> holding the same lines for copying. Rows are
// (element id, label, value).
std::string Troubleshooting(
    const std::vector<std::tuple<std::string, std::string, std::string>> &rows);

} // namespace gatehouse::app::html
