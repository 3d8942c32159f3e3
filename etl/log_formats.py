"""Access-log line formats: the built-in ones, nginx and Apache format strings, JSON lines.

Every format turns one raw line (bytes, newline stripped) into a `Fields` tuple of raw bytes,
or None when the line does not have the format's layout. Quoted fields keep the server's
escapes (Apache `\\"`, nginx `\\x22`); access_logs.decode_field undoes them later, once per
field that is used.

A format string is compiled into one regular expression over bytes. A variable written
between double quotes in the format (`"$http_referer"`, `"%{Referer}i"`) matches a quoted
field with escapes; any other variable matches up to the next space, except those whose
values hold spaces themselves (the time, an X-Forwarded-For list).
"""

from __future__ import annotations

import json
import re
from typing import NamedTuple

from etl.errors import ConfigError

# Time layouts a Fields.time_kind names.
CLF = "clf"  # 10/Oct/2000:13:55:36 -0700
ISO = "iso"  # 2000-10-10T13:55:36-07:00
EPOCH = "epoch"  # 971211336.123


class Fields(NamedTuple):
    """The raw parts of one line that the loader uses; b"" or b"-" when the format lacks one."""

    client: bytes
    forwarded_for: bytes
    time: bytes
    time_kind: str
    request: bytes
    status: bytes
    referrer: bytes
    agent: bytes
    host: bytes


# Contents of a quoted field: Apache escapes `"` and `\` with a backslash, nginx writes \xHH.
QUOTED_CONTENT = rb'[^"\\]*(?:\\.[^"\\]*)*'
# An X-Forwarded-For list written unquoted: `203.0.113.5, 10.0.0.1` or `-`.
ADDRESS_LIST = rb"[^\s,]+(?:,\s*[^\s,]+)*"

# Roles: the Fields attribute a variable fills, and its pattern when not quoted.
ROLE_PATTERNS = {
    "client": ADDRESS_LIST,
    "forwarded_for": ADDRESS_LIST,
    "time_clf": rb"\S+ [+-]\d{4}",
    "time_iso": rb"\S+",
    "time_epoch": rb"\d+(?:\.\d+)?",
    "request": rb"\S+",
    "method": rb"\S+",
    "uri": rb"\S+",
    "query": rb"\S*",
    "protocol": rb"\S+",
    "status": rb"\d{3}|-",
    "referrer": rb"\S+",
    "agent": rb"\S+",
    "host": rb"[^\s:]+",
    "port": rb"\d+|-",
}

NGINX_VARIABLES = {
    "remote_addr": "client",
    "realip_remote_addr": "client",
    "http_x_forwarded_for": "forwarded_for",
    "time_local": "time_clf",
    "time_iso8601": "time_iso",
    "msec": "time_epoch",
    "request": "request",
    "request_method": "method",
    "request_uri": "uri",
    "uri": "uri",
    "args": "query",
    "query_string": "query",
    "server_protocol": "protocol",
    "status": "status",
    "http_referer": "referrer",
    "http_user_agent": "agent",
    "host": "host",
    "http_host": "host",
    "server_name": "host",
    "server_port": "port",
}

APACHE_DIRECTIVES = {
    "h": "client",
    "a": "client",
    "t": "time_clf",
    "r": "request",
    "m": "method",
    "U": "uri",
    "q": "query",
    "H": "protocol",
    "s": "status",
    "v": "host",
    "V": "host",
    "p": "port",
}
APACHE_HEADERS = {
    "referer": "referrer",
    "user-agent": "agent",
    "x-forwarded-for": "forwarded_for",
    "host": "host",
}

NGINX_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
APACHE_DIRECTIVE = re.compile(r"%[<>]?(?:!?[\d,]+)?(?:\{([^}]*)\})?([a-zA-Z%])")

BUILTIN_FORMATS = {
    "combined": '%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"',
    "common": '%h %l %u %t "%r" %>s %b',
    # Apache's vhost_combined; nginx shops on subdomains usually log `$host` the same way.
    "vhost_combined": '%v:%p %h %l %u %t "%r" %>s %O "%{Referer}i" "%{User-Agent}i"',
}
FORMAT_NAMES = (*BUILTIN_FORMATS, "custom", "json")


class RegexFormat:
    """A format string compiled into one regular expression with a group per used role."""

    def __init__(self, pattern: bytes, roles: list[str], text: str) -> None:
        self.text = text
        # The same pattern with a named group per role, for DuckDB's RE2 (etl/log_fast.py).
        self.named_pattern = ""
        self.regex = re.compile(pattern)
        self.roles = roles
        self.has_agent = "agent" in roles
        index = {role: number for number, role in enumerate(roles, start=1)}
        self._get = {role: index.get(role) for role in (*ROLE_PATTERNS,)}
        time_roles = [role for role in ("time_clf", "time_iso", "time_epoch") if role in index]
        if not time_roles:
            raise ConfigError(
                f"access_logs.log_format {text!r} has no time variable. Add $time_local, "
                "$time_iso8601 or $msec (nginx), or %t (Apache)."
            )
        if "client" not in index and "forwarded_for" not in index:
            raise ConfigError(
                f"access_logs.log_format {text!r} has no client address. Add $remote_addr "
                "(nginx) or %h (Apache)."
            )
        if "request" not in index and "uri" not in index:
            raise ConfigError(
                f"access_logs.log_format {text!r} has no request. Add $request (nginx) or "
                '"%r" (Apache).'
            )
        self._time_group = index[time_roles[0]]
        self._time_kind = {"time_clf": CLF, "time_iso": ISO, "time_epoch": EPOCH}[time_roles[0]]

    def parse(self, line: bytes) -> Fields | None:
        match = self.regex.match(line)
        if match is None:
            return None
        groups = match.groups()
        get = self._get

        def value(role: str, default: bytes = b"-") -> bytes:
            number = get[role]
            return default if number is None else groups[number - 1]

        request = value("request", b"")
        if get["request"] is None:
            request = compose_request(value("method"), value("uri"), value("query", b""))
            protocol = value("protocol", b"")
            if protocol not in (b"", b"-"):
                request += b" " + protocol
        return Fields(
            client=value("client"),
            forwarded_for=value("forwarded_for"),
            time=groups[self._time_group - 1],
            time_kind=self._time_kind,
            request=request,
            status=value("status"),
            referrer=value("referrer"),
            agent=value("agent", b""),
            host=value("host", b""),
        )


def compose_request(method: bytes, uri: bytes, query: bytes) -> bytes:
    """Build `METHOD uri?query` from the parts that some formats log apart."""
    if method in (b"", b"-"):
        return b""
    query = query.removeprefix(b"?")  # Apache's %q writes the question mark itself.
    if query not in (b"", b"-") and b"?" not in uri:
        uri += b"?" + query
    return method + b" " + uri


def compile_format_string(text: str, trailing_fields: bool = False) -> RegexFormat:
    """Compile an nginx log_format (with `$variables`) or an Apache LogFormat (with `%x`).

    With `trailing_fields`, a line may go on after the format's last field.
    """
    if NGINX_VARIABLE.search(text):
        tokens = _nginx_tokens(text)
    elif "%" in text:
        tokens = _apache_tokens(text)
    else:
        raise ConfigError(
            f"access_logs.log_format {text!r} names no variable. Give the log_format string "
            "of nginx ('$remote_addr - $remote_user [$time_local] \"$request\" ...') or the "
            "LogFormat string of Apache ('%h %l %u %t \"%r\" %>s %b ...')."
        )
    return _build_regex(tokens, text, trailing_fields)


def _nginx_tokens(text: str) -> list[tuple[str, str | None]]:
    """Split into ("literal", text) and ("var", role or None) tokens."""
    tokens: list[tuple[str, str | None]] = []
    position = 0
    for match in NGINX_VARIABLE.finditer(text):
        tokens.append(("literal", text[position : match.start()]))
        name = match.group(1) or match.group(2)
        tokens.append(("var", NGINX_VARIABLES.get(name)))
        position = match.end()
    tokens.append(("literal", text[position:]))
    return tokens


def _apache_tokens(text: str) -> list[tuple[str, str | None]]:
    tokens: list[tuple[str, str | None]] = []
    position = 0
    for match in APACHE_DIRECTIVE.finditer(text):
        tokens.append(("literal", text[position : match.start()]))
        argument, letter = match.group(1), match.group(2)
        position = match.end()
        if letter == "%":
            tokens.append(("literal", "%"))
            continue
        if letter == "t" and argument:
            raise ConfigError(
                f"access_logs.log_format {text!r}: %{{{argument}}}t (a custom time layout) "
                "is not supported. Use %t, or $time_iso8601 in nginx."
            )
        if letter == "t":
            # %t writes its own brackets.
            tokens.extend((("literal", "["), ("var", "time_clf"), ("literal", "]")))
        elif letter == "i" and argument is not None:
            tokens.append(("var", APACHE_HEADERS.get(argument.lower())))
        elif letter == "a" and argument is not None:
            tokens.append(("var", "client"))
        else:
            tokens.append(("var", APACHE_DIRECTIVES.get(letter)))
    tokens.append(("literal", text[position:]))
    return tokens


def _build_regex(
    tokens: list[tuple[str, str | None]], text: str, trailing_fields: bool
) -> RegexFormat:
    parts: list[bytes] = [b"^"]
    named: list[bytes] = [b"^"]
    roles: list[str] = []
    for number, (kind, value) in enumerate(tokens):
        if kind == "literal":
            parts.append(re.escape((value or "").encode("utf-8")))
            named.append(parts[-1])
            continue
        before = tokens[number - 1][1] if number > 0 else ""
        after = tokens[number + 1][1] if number + 1 < len(tokens) else ""
        quoted = (before or "").endswith('"') and (after or "").startswith('"')
        pattern = _variable_pattern(value, quoted)
        if value is None or value in roles:
            parts.append(b"(?:" + pattern + b")")
            named.append(parts[-1])
        else:
            roles.append(value)
            parts.append(b"(" + pattern + b")")
            named.append(b"(?P<" + value.encode() + b">" + pattern + b")")
    parts.append(rb"(?:\s.*)?$" if trailing_fields else rb"\s*$")
    named.append(parts[-1])
    compiled = RegexFormat(b"".join(parts), roles, text)
    compiled.named_pattern = b"".join(named).decode("utf-8")
    return compiled


def _variable_pattern(role: str | None, quoted: bool) -> bytes:
    if quoted:
        return QUOTED_CONTENT
    if role is None:
        return rb"\S*"
    return ROLE_PATTERNS[role]


def builtin_format(name: str) -> RegexFormat:
    """Return a built-in format.

    Combined layouts accept fields after the agent: many nginx setups append
    "$http_x_forwarded_for" or timings to the combined format and still call it combined.
    """
    return compile_format_string(BUILTIN_FORMATS[name], trailing_fields=name != "common")


# JSON lines: each role is looked up under these keys, nginx variable names first.
JSON_KEYS = {
    "client": ("remote_addr", "client", "client_ip", "ip", "remote_ip"),
    "forwarded_for": ("http_x_forwarded_for", "x_forwarded_for", "xff", "forwarded_for"),
    "time": ("time_local", "time_iso8601", "msec", "time", "timestamp", "@timestamp"),
    "request": ("request",),
    "method": ("request_method", "method"),
    "uri": ("request_uri", "uri", "path"),
    "query": ("args", "query_string"),
    "protocol": ("server_protocol", "protocol"),
    "status": ("status", "status_code"),
    "referrer": ("http_referer", "referer", "referrer"),
    "agent": ("http_user_agent", "user_agent", "agent"),
    "host": ("host", "http_host", "server_name", "vhost"),
}
JSON_TEMPLATE_PAIR = re.compile(r'"([^"]+)"\s*:\s*"?\$\{?(\w+)\}?')


class JsonFormat:
    """JSON lines as nginx writes them with `escape=json`, one object a line."""

    has_agent = True

    def __init__(self, template: str = "") -> None:
        self.text = template or "json"
        self.keys = {role: list(keys) for role, keys in JSON_KEYS.items()}
        # A log_format template maps its own keys to nginx variables: {"ts":"$time_iso8601"}.
        for key, variable in JSON_TEMPLATE_PAIR.findall(template):
            role = NGINX_VARIABLES.get(variable)
            if role is None:
                continue
            role = role if not role.startswith("time_") else "time"
            self.keys[role].insert(0, key)

    def parse(self, line: bytes) -> Fields | None:
        # nginx writes bytes >= 0x80 as they came, so the text may not be UTF-8.
        try:
            record = json.loads(line.decode("utf-8", "surrogateescape"))
        except ValueError:
            return None
        if not isinstance(record, dict):
            return None

        def value(role: str, default: bytes = b"-") -> bytes:
            for key in self.keys[role]:
                found = record.get(key)
                if found is not None and found != "":
                    # json.loads undid the escapes already, and the line parser undoes
                    # backslash escapes again, so a backslash in the value is escaped.
                    text = str(found).encode("utf-8", "surrogateescape")
                    return text.replace(b"\\", b"\\\\")
            return default

        time = value("time", b"")
        request = value("request", b"")
        if not request:
            request = compose_request(value("method"), value("uri"), value("query", b""))
            protocol = value("protocol", b"")
            if request and protocol not in (b"", b"-"):
                request += b" " + protocol
        return Fields(
            client=value("client"),
            forwarded_for=value("forwarded_for"),
            time=time,
            time_kind=time_kind_of(time),
            request=request,
            status=value("status"),
            referrer=value("referrer"),
            agent=value("agent", b""),
            host=value("host", b""),
        )


def time_kind_of(text: bytes) -> str:
    """Guess the layout of a JSON time value: epoch seconds, ISO 8601, else CLF."""
    if text[:1].isdigit() and text.replace(b".", b"", 1).isdigit():
        return EPOCH
    if len(text) >= 10 and text[4:5] == b"-":
        return ISO
    return CLF


def make_format(name: str, log_format: str = "") -> RegexFormat | JsonFormat:
    """Return the parser for access_logs.format `name` (and access_logs.log_format)."""
    if name in BUILTIN_FORMATS:
        return builtin_format(name)
    if name == "json":
        return JsonFormat(log_format)
    if name == "custom":
        if not log_format.strip():
            raise ConfigError(
                'access_logs.format is "custom" but access_logs.log_format is empty. Copy the '
                "server's nginx log_format or Apache LogFormat string into it."
            )
        return compile_format_string(log_format)
    raise ConfigError(f"access_logs.format is {name!r}; use one of {', '.join(FORMAT_NAMES)}.")
