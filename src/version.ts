/** stickyban's version: `stickyban --version`, and what a host reports to the fleet. */
export const VERSION = '0.2.0';
