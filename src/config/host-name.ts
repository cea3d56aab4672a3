/**
 * A fleet host's name: a hostname's letters (RFC 1123 lets one start with a digit), at most 63. It
 * goes into a PostgreSQL role name (stickyban_<name>) and the log's origin column.
 */
export const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const HOST_NAME_EXPECTED = "1-63 letters, digits, '-', '_' or '.', starting with a letter or digit";
