import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import * as z from 'zod';
import { fieldErrorsOf } from '../../policy';
import {
	choicesAsSent,
	choicesFromQuery,
	DEVICE_FILES,
	deviceFile,
	DeviceChoicesSchema,
	type DeviceFileName,
} from '../device-policy/device-files';
import { principalOf } from '../http/auth';
import { currentOrThrow } from '../http/policy-http';
import type { PolicyService } from '../policy/policy-service';
import { devicesPage } from './devices-page';
import { page } from './html';
import type { ConsoleKit } from './kit';

const FileParams = z.object({ file: z.enum(Object.keys(DEVICE_FILES) as [DeviceFileName, ...DeviceFileName[]]) });

/**
 * The Devices page and its downloads (`/console/devices/download?file=…`): a choice the service
 * refuses comes back on the page, named beside its field, with what the admin chose kept.
 */
export const devicesRoutes: FastifyPluginAsyncZod<{
	kit: ConsoleKit;
	policies: Pick<PolicyService, 'current'>;
	publicUrl: () => string;
}> = async (app, { kit, policies, publicUrl }) => {
	const { sendPage, consolePage, chrome } = kit;
	const empty = DeviceChoicesSchema.parse({});
	const scripts = ['/console/assets/console.js'];

	app.get('/console/devices', { preHandler: consolePage }, async (request, reply) => {
		const current = await currentOrThrow(policies, principalOf(request).user.orgId);
		const options = chrome(request, 'Devices', 'devices', current.signed.policy.organization.name, scripts);
		return sendPage(reply, page(options, devicesPage({ choices: empty, errors: [], serverUrl: publicUrl() })));
	});

	app.get('/console/devices/download', { preHandler: consolePage }, async (request, reply) => {
		const current = await currentOrThrow(policies, principalOf(request).user.orgId);
		const query = request.query as Record<string, unknown>;
		const file = FileParams.safeParse({ file: query['file'] });
		const choices = choicesFromQuery(query);
		if (!file.success || !choices.success) {
			const errors = [
				...(file.success ? [] : [{ path: 'file', message: 'choose one of the files' }]),
				...(choices.success ? [] : fieldErrorsOf(choices.error)),
			];
			const options = chrome(request, 'Devices', 'devices', current.signed.policy.organization.name, scripts);
			return sendPage(reply, page(options, devicesPage({ choices: choicesAsSent(query), errors, serverUrl: publicUrl() })), 400);
		}
		const { organization } = current.signed.policy;
		const made = deviceFile(file.data.file, choices.data, organization, publicUrl());
		return reply.header('content-disposition', `attachment; filename="${file.data.file}"`).type(made.type).send(made.body);
	});
};
