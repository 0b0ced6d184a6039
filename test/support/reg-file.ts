/**
 * A strict reader of the `.reg` files regedit imports (the format regedit itself exports: a UTF-16LE
 * byte-order mark, the "Windows Registry Editor Version 5.00" header, `[key]` lines, then
 * `"name"="string"` with `\\` and `\"` escaped, or `"name"=dword:` and eight hex digits). Anything
 * else is an error naming the line, so a test fails on a file regedit would refuse or misread.
 */
export function readRegFile(bytes: Buffer): Map<string, Map<string, string | number>> {
	if (bytes[0] !== 0xff || bytes[1] !== 0xfe) {
		throw new Error('no UTF-16LE byte-order mark');
	}
	const lines = bytes.subarray(2).toString('utf16le').split('\r\n');
	if (lines[0] !== 'Windows Registry Editor Version 5.00') {
		throw new Error(`line 1 is not the header: ${lines[0]}`);
	}
	const keys = new Map<string, Map<string, string | number>>();
	let values: Map<string, string | number> | undefined;
	lines.slice(1).forEach((line, index) => {
		const at = `line ${index + 2}`;
		if (line === '') {
			return;
		}
		const key = /^\[(HKEY_[A-Z_]+(?:\\[^\\\]]+)+)\]$/.exec(line);
		if (key) {
			values = new Map();
			keys.set(key[1]!, values);
			return;
		}
		const value = /^"((?:[^"\\]|\\.)*)"=(?:"((?:[^"\\]|\\.)*)"|dword:([0-9a-f]{8}))$/.exec(line);
		if (!value || !values) {
			throw new Error(`${at} is not a value under a key: ${line}`);
		}
		const unescape = (text: string) => text.replace(/\\(.)/g, (_whole, char: string) => char);
		values.set(unescape(value[1]!), value[3] !== undefined ? parseInt(value[3], 16) : unescape(value[2]!));
	});
	return keys;
}
