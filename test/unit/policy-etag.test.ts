import assert from 'node:assert/strict';
import { etagOf, heldRevision, ifNoneMatchHits, parseIfMatch } from '../../src/policy';

describe('policy ETags', () => {
	it('quotes the revision, and names the schema version from version 2 on', () => {
		assert.equal(etagOf(12), '"12"');
		assert.equal(etagOf(12, 2), '"12.v2"');
		assert.equal(ifNoneMatchHits('"12"', 12, 2), false, 'the version 1 representation is another one');
		assert.equal(ifNoneMatchHits('"12.v2"', 12, 2), true);
	});
	it('If-None-Match compares weakly and accepts lists and *', () => {
		assert.equal(ifNoneMatchHits('"12"', 12), true);
		assert.equal(ifNoneMatchHits('W/"12"', 12), true);
		assert.equal(ifNoneMatchHits('"11", "12"', 12), true);
		assert.equal(ifNoneMatchHits('*', 12), true);
		assert.equal(ifNoneMatchHits('"11"', 12), false);
		assert.equal(ifNoneMatchHits(undefined, 12), false);
	});
	it('If-Match names one strong revision', () => {
		assert.deepEqual(parseIfMatch('"7"'), { kind: 'revision', revision: 7 });
		assert.deepEqual(parseIfMatch('*'), { kind: 'any' });
		assert.deepEqual(parseIfMatch(undefined), { kind: 'absent' });
		assert.deepEqual(parseIfMatch('W/"7"'), { kind: 'invalid' });
		assert.deepEqual(parseIfMatch('7'), { kind: 'invalid' });
		assert.deepEqual(parseIfMatch('"034"'), { kind: 'invalid' }, 'strong comparison: "034" is not revision 34');
		assert.deepEqual(parseIfMatch('"0"'), { kind: 'revision', revision: 0 });
	});
	it('reads the newest revision a member holds from the ETags they send back', () => {
		assert.equal(heldRevision(etagOf(12)), 12);
		assert.equal(heldRevision(etagOf(12, 3, ['Research'])), 12);
		assert.equal(heldRevision(`W/${etagOf(9, 2)}, ${etagOf(12, 3)}`), 12);
		for (const none of [undefined, '', '*', '"abc"', '"0"', '"012"', '"12.x"', '12']) {
			assert.equal(heldRevision(none), undefined, String(none));
		}
	});
});
