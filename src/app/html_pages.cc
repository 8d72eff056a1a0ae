#include "app/html_pages.h"

#include <cstdio>
#include <tuple>

namespace gatehouse::app::html {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&#39;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

namespace {

constexpr std::string_view kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:40rem;margin:3rem auto;background:#fff;border-radius:8px;padding:2rem;box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.4rem;margin:0 0 1rem}
h2{font-size:1.05rem;margin:1.5rem 0 .5rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input[type=text],input[type=password],input[type=email]{width:100%;padding:.55rem;border:1px solid #9ca3af;border-radius:4px;font-size:1rem}
button{margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#1d4ed8;color:#fff;font-size:1rem;cursor:pointer}
button.secondary{background:#e5e7eb;color:#111827}
.error{background:#fef2f2;border:1px solid #fecaca;color:#991b1b;padding:.6rem;border-radius:4px}
.note{color:#4b5563;font-size:.9rem}
code,pre,textarea{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85rem}
pre,textarea{background:#f9fafb;border:1px solid #e5e7eb;padding:.6rem;border-radius:4px;white-space:pre-wrap;word-break:break-all;width:100%}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0;word-break:break-all}
li{margin:.3rem 0}
)css";

} // namespace

std::string Layout(std::string_view title, std::string_view page,
                   std::string_view body, std::string_view script,
                   std::string_view script_nonce) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>";
  out += Escape(title);
  out += " - Gatehouse</title><style>";
  out += kStyle;
  out += "</style></head><body><main id=\"page\" data-page=\"";
  out += Escape(page);
  out += "\">\n";
  out += body;
  out += "\n</main>";
  if (!script.empty()) {
    out += "<script nonce=\"";
    out += Escape(script_nonce);
    out += "\">";
    out += script;
    out += "</script>";
  }
  out += "</body></html>\n";
  return out;
}

std::string Hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" id=\"" + Escape(name) + "\" name=\"" +
         Escape(name) + "\" value=\"" + Escape(value) + "\">";
}

namespace {
// A JavaScript string literal (JSON-style escaping, safe inside <script>).
std::string JsString(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
      out += buffer;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}
} // namespace

std::string DeviceProofScript(std::string_view form_id, std::string_view nonce,
                              std::string_view binding, int agent_port,
                              bool auto_submit, int timeout_ms) {
  std::string s = "(function(){";
  s += "var form=document.getElementById(" + JsString(form_id) + ");";
  s += "var field=document.getElementById('device_proof');";
  s += "var status=document.getElementById('device-status');";
  s += "var auto=" + std::string(auto_submit ? "true" : "false") + ";";
  // One attempt at load; a submit while an attempt runs waits for it, and a
  // submit with no proof yet asks the agent once more first (the user may have
  // started the agent after the page loaded: install, register, then Re-check).
  // form.submit() fires no submit event: no loop.
  s += "var busy=false,submitWanted=false;";
  s += "function say(t){if(status)status.textContent=t;}";
  s += "function attempt(){busy=true;var settled=false;"
       "var ctl=window.AbortController?new AbortController():null;"
       "function "
       "finish(ok){if(settled)return;settled=true;busy=false;clearTimeout("
       "timer);"
       "say(ok?'Device identity presented by the Gatehouse agent.':"
       "'No device identity: the Gatehouse agent did not answer.');"
       "if(auto||submitWanted){auto=false;submitWanted=false;form.submit();}}";
  s += "var timer=setTimeout(function(){if(ctl)ctl.abort();finish(false);}," +
       std::to_string(timeout_ms) + ");";
  s += "var url='http://127.0.0.1:" + std::to_string(agent_port) +
       "/v1/device-proof?nonce='+encodeURIComponent(" + JsString(nonce) +
       ")+'&binding='+encodeURIComponent(" + JsString(binding) + ");";
  s += "say('Asking the Gatehouse agent for this device\\u2019s "
       "identity\\u2026');";
  s += "fetch(url,{mode:'cors',credentials:'omit',cache:'no-store',signal:ctl?"
       "ctl.signal:undefined})"
       ".then(function(r){return r.ok?r.text():null;})"
       ".then(function(t){if(t&&!settled){field.value=t;finish(true);}else{"
       "finish(false);}})"
       ".catch(function(){finish(false);});}";
  s += "if(!window.fetch){if(auto)form.submit();return;}";
  s += "form.addEventListener('submit',function(e){"
       "if(busy){e.preventDefault();submitWanted=true;return;}"
       "if(!field.value){e.preventDefault();submitWanted=true;attempt();}});";
  s += "attempt();";
  s += "})();";
  return s;
}

std::string Troubleshooting(
    const std::vector<std::tuple<std::string, std::string, std::string>>
        &rows) {
  std::string out =
      "<section id=\"troubleshooting\"><h2>Troubleshooting details</h2>"
      "<p class=\"note\">Give these to your IT help desk; they find this "
      "sign-in "
      "by its request id.</p><dl>";
  std::string text;
  for (const auto &[id, label, value] : rows) {
    out += "<dt>" + Escape(label) + "</dt><dd><span id=\"" + Escape(id) +
           "\">" + Escape(value) + "</span></dd>";
    text += label + ": " + value + "\n";
  }
  out += "</dl><label for=\"troubleshooting-text\">Copy</label><textarea "
         "id=\"troubleshooting-text\" "
         "readonly rows=\"" +
         std::to_string(rows.size() + 1) + "\">" + Escape(text) +
         "</textarea></section>";
  return out;
}

} // namespace gatehouse::app::html
