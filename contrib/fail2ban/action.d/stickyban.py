# Fail2Ban action (Python, loaded into fail2ban-server): stickyban, a permanent blocklist that
# survives firewall reloads and reboots, without a process per ban.
#
# fail2ban runs a jail's actions one after another in the jail's thread, so an action that starts a
# program per ban holds every later ban of that jail until it is done. This one hands each ban to the
# stickyban daemon over its Unix socket and waits only for the daemon's answer, which comes once the
# ban is committed to the store. When the daemon is absent, or does not answer within `timeout`, it
# runs `stickyban ban` instead, with the same event id: a ban is never lost, and one handed over
# twice (the answer was lost, not the ban) is still one event.
#
# Use it beside your usual ban action. In jail.local:
#
#   [DEFAULT]
#   action = %(action_)s
#            stickyban.py
#
# or for one jail only, in its section. Parameters (all optional), e.g.
# stickyban.py[stickyban="/usr/local/bin/stickyban", config="/etc/stickyban/config.toml", timeout="10"]:
#   stickyban  the command, run when the daemon cannot take a ban (default /usr/local/bin/stickyban)
#   config     stickyban's config file: where the daemon's socket and the store are
#   timeout    seconds to wait for the daemon's answer before running the command instead
#
# Installed by `stickyban install-contrib` as /etc/fail2ban/action.d/stickyban.py. The .conf action
# beside it does the same through the command alone, for hosts that do not run the daemon.

import json
import os
import socket
import stat
import subprocess
import threading
import time

from fail2ban.server.actions import ActionBase

try:
    import tomllib
except ImportError:  # Python < 3.11: the defaults (and STICKYBAN_SOCKET, STICKYBAN_DB) apply
    tomllib = None

DEFAULT_CONFIG = '/etc/stickyban/config.toml'
DEFAULT_SOCKET = '/run/stickyban/stickyban.sock'
DEFAULT_DB = '/var/lib/stickyban/stickyban.db'
CONNECT_TIMEOUT = 1.0
# The command itself waits for a busy store at most 45 s; fail2ban kills an action after 60 s.
COMMAND_TIMEOUT = 55
MAX_ANSWER_BYTES = 16384
# A daemon that did not answer in time is not asked again for this long, by any jail: each ban
# would wait for it again (a stopped daemon cost every ban `timeout` seconds of its jail's thread,
# fail2ban's own bans held behind), and the command is told not to ask it either (--direct).
SILENT_PAUSE = 30.0
# Socket path -> until when (time.monotonic()) its daemon is taken as silent; shared by the jails.
_silent = {}


def uuid7():
	"""A UUIDv7 (time first, then random bits), as stickyban gives every ban event."""
	raw = bytearray(int(time.time() * 1000).to_bytes(6, 'big') + os.urandom(10))
	raw[6] = (raw[6] & 0x0f) | 0x70
	raw[8] = (raw[8] & 0x3f) | 0x80
	text = raw.hex()
	return '%s-%s-%s-%s-%s' % (text[:8], text[8:12], text[12:16], text[16:20], text[20:])


class StickybanAction(ActionBase):

	def __init__(self, jail, name, stickyban='/usr/local/bin/stickyban', config=None, timeout='10'):
		super(StickybanAction, self).__init__(jail, name)
		self._conn = None
		self._buffer = b''
		# One connection per jail; ban, start and stop may come from different threads.
		self._lock = threading.Lock()
		self._configure(stickyban, config, timeout)

	def _configure(self, stickyban='/usr/local/bin/stickyban', config=None, timeout='10'):
		self.stickyban = stickyban
		self.config = config
		self.timeout = float(timeout)
		self._socketPath, self._db, self._syncIgnoreip = self._where()

	def clearAllParams(self):
		"""With reload(), what makes fail2ban keep this action across `fail2ban-client reload` (and
		`systemctl reload fail2ban`): an action without both is dropped from every jail that was
		running, without a word in its log, and no ban of those jails reached stickyban until a
		restart. It keeps no parameter list to clear: reload() takes them all anew."""

	def reload(self, **options):
		"""The jail's parameters as the reloaded config gives them (the config file or the socket may
		have changed: the connection is opened anew at the next ban), and the safelist back in the
		ignore list, which the reload set again from jail.local."""
		with self._lock:
			self._close()
			self._configure(**options)
		if self._syncIgnoreip:
			self._ignoreSafelist()

	def _where(self):
		"""The daemon's socket, the store and [fail2ban] sync_ignoreip, as stickyban reads them: the config file, then the environment."""
		path, db, sync = DEFAULT_SOCKET, DEFAULT_DB, False
		config = self.config or DEFAULT_CONFIG
		if tomllib is not None and os.path.isfile(config):
			try:
				with open(config, 'rb') as handle:
					table = tomllib.load(handle)
				path = table.get('daemon', {}).get('socket', path)
				db = table.get('db', db)
				sync = table.get('fail2ban', {}).get('sync_ignoreip', sync) is True
			except Exception as e:
				self._logSys.warning("stickyban: cannot read %s (%s); using the default socket %s", config, e, path)
		return os.environ.get('STICKYBAN_SOCKET', path), os.environ.get('STICKYBAN_DB', db), sync

	def start(self):
		"""Makes sure the blocklist is in place (cheap when it is), as the .conf action's actionstart."""
		answer = self._ask({'op': 'check'})
		if answer is None or not answer.get('ok'):
			self._run(['restore', '--if-missing', '--quiet'])
		if self._syncIgnoreip:
			self._ignoreSafelist()

	def _ignoreSafelist(self):
		"""With [fail2ban] sync_ignoreip, stickyban's safelist joins this jail's ignore list each time
		the jail starts: fail2ban holds what `stickyban safelist add` gave it in memory only, and a
		restart or reload would forget it. Loopback is fail2ban's own (ignoreself)."""
		command = [self.stickyban] + (['--config', self.config] if self.config else []) + ['safelist', 'list', '--json']
		try:
			result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
			entries = json.loads(result.stdout) if result.returncode == 0 else None
		except (OSError, subprocess.TimeoutExpired, ValueError) as e:
			entries, result = None, e
		if not isinstance(entries, list):
			self._logSys.warning("stickyban: the safelist could not be read for the ignore list (%s)", getattr(result, 'stderr', result))
			return
		for entry in entries:
			if not isinstance(entry, dict) or entry.get('origin') == 'built-in':
				continue
			try:
				self._jail.filter.addIgnoreIP(str(entry.get('address')))
			except Exception as e:
				self._logSys.warning("stickyban: %s not added to the ignore list: %s", entry.get('address'), e)

	def stop(self):
		# The blocklist outlives fail2ban: nothing to tear down.
		with self._lock:
			self._close()

	def ban(self, aInfo):
		ip = str(aInfo['ip'])
		jail = self._jail.name
		bantime = str(aInfo['bantime'])
		restored = str(aInfo['restored'])
		# When fail2ban began the ban: a replay is recorded at that time, and never blocks again an
		# address unbanned since. Sent with replays only: a daemon from before the field refuses it.
		began = str(aInfo['time'])
		event = uuid7()
		request = {
			'op': 'ban', 'address': ip, 'jail': jail, 'bantime': bantime, 'restored': restored,
			'source': 'fail2ban', 'event_id': event, 'db': self._db,
		}
		if restored in ('1', 'True', 'true'):
			request['time'] = began
		silent = self._silent()
		answer = None if silent else self._ask(request)
		if answer is not None and answer.get('ok'):
			self._logSys.debug("stickyban: %s", answer.get('message'))
			return
		if answer is not None and answer.get('code') == 'invalid':
			# The command would refuse it with the same words: a loopback address, say.
			self._logSys.error("stickyban: %s not recorded: %s", ip, answer.get('error'))
			return
		self._run(['ban', ip, '--jail=' + jail, '--bantime=' + bantime, '--restored=' + restored,
			'--time=' + began, '--source=fail2ban', '--event-id=' + event, '--quiet']
			+ (['--direct'] if silent or self._silent() else []))

	def _silent(self):
		"""Whether the daemon did not answer in time a moment ago (SILENT_PAUSE)."""
		return _silent.get(self._socketPath, 0) > time.monotonic()

	def unban(self, aInfo):
		# Deliberately nothing: fail2ban's unban ends its temporary ban, not the permanent one.
		# Lift a permanent ban with: stickyban unban <ip> (--fail2ban lifts fail2ban's own ban too)
		pass

	def _ask(self, request):
		"""The daemon's answer as a dict, or None when it is absent or silent."""
		line = (json.dumps(request) + '\n').encode()
		with self._lock:
			for attempt in (1, 2):
				try:
					if self._conn is None:
						if not os.path.exists(self._socketPath) or not self._trusted():
							return None
						self._conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
						self._conn.settimeout(CONNECT_TIMEOUT)
						self._conn.connect(self._socketPath)
						self._buffer = b''
					self._conn.settimeout(self.timeout)
					self._conn.sendall(line)
					return json.loads(self._readline())
				except (OSError, ValueError) as e:
					self._close()
					# A connection the daemon closed while idle (it restarted): one new one, at once.
					if isinstance(e, socket.timeout):
						_silent[self._socketPath] = time.monotonic() + SILENT_PAUSE
						self._logSys.warning("stickyban: the daemon on %s did not answer within %s s; running %s instead, and for the next %d s", self._socketPath, self.timeout, self.stickyban, SILENT_PAUSE)
						return None
					if attempt == 2:
						self._logSys.warning("stickyban: the daemon on %s did not answer (%s); running %s instead", self._socketPath, e, self.stickyban)
						return None
			return None

	def _trusted(self):
		"""A socket another user could have put there (theirs, or in a directory they can change) could answer "banned" for a ban it threw away: it is not asked, and stickyban ban (which checks the whole path) records the ban instead."""
		try:
			sock = os.lstat(self._socketPath)
			folder = os.lstat(os.path.dirname(self._socketPath) or '.')
		except OSError:
			return False
		mine = (0, os.geteuid())
		if stat.S_ISSOCK(sock.st_mode) and sock.st_uid in mine and stat.S_ISDIR(folder.st_mode) and folder.st_uid in mine and not folder.st_mode & 0o022:
			return True
		self._logSys.warning("stickyban: not asking %s: another user could have put it there; running %s instead", self._socketPath, self.stickyban)
		return False

	def _readline(self):
		while b'\n' not in self._buffer:
			chunk = self._conn.recv(4096)
			if not chunk:
				raise OSError('the daemon closed the connection')
			self._buffer += chunk
			if len(self._buffer) > MAX_ANSWER_BYTES:
				raise ValueError('answer too long')
		line, _, self._buffer = self._buffer.partition(b'\n')
		return line.decode()

	def _close(self):
		if self._conn is not None:
			try:
				self._conn.close()
			except OSError:
				pass
		self._conn = None

	def _run(self, args):
		"""Runs stickyban itself (the daemon could not): an argument list, never a shell."""
		command = [self.stickyban] + (['--config', self.config] if self.config else []) + args
		try:
			result = subprocess.run(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=COMMAND_TIMEOUT)
		except (OSError, subprocess.TimeoutExpired) as e:
			raise RuntimeError('stickyban: %s failed: %s' % (' '.join(command), e))
		if result.returncode != 0:
			# fail2ban logs it as this action's failure; the command spooled the ban if it could.
			raise RuntimeError('stickyban: %s' % result.stderr.decode(errors='replace').strip().replace('stickyban: ', '', 1))


Action = StickybanAction
