"""Errors that stop a load before it publishes; row-level problems are Rejections instead."""


class LoadError(Exception):
    """A failure that leaves nothing to publish. The message names the file or key and the fix."""


class ConfigError(LoadError):
    """The config file is missing, unreadable, or has a key of the wrong type or value."""


class SourceError(LoadError):
    """A configured source (database, log file, spreadsheet) is missing or unreadable as a whole."""


class DatabaseUrlError(ConfigError):
    """A database URL setting cannot be parsed or used; the message shows it masked."""
