// Source: https://github.com/ToramCalculator-Team/ToramCalculator/blob/02c8f170368ca417f0aae14272c43ed4a83e97e0/src/machines/intent/visualIntentMachine.ts
// Commit: 02c8f170368ca417f0aae14272c43ed4a83e97e0
// License: MIT (ToramCalculator-Team/ToramCalculator, LICENSE at repository root)
// Changes: inlined Target/Operation/IntentSource/EquipSlot and the pure targetEquals helper from ./types (same
//   commit). The factory is kept verbatim and a concrete machine is additionally exported as
//   `visualIntentMachine` (`createVisualIntentMachine()`).
import { type ActorRefFrom, type SnapshotFrom, assign, setup } from "xstate";
// --- stubs for app imports ---
type EquipSlot = "weapon" | "subWeapon" | "armor" | "option" | "special";
type Target =
	| { kind: "equipmentSlot"; characterId: string; slot: EquipSlot }
	| { kind: "skillTree"; characterId: string; treeId?: string }
	| { kind: "simEntity"; memberId: string }
	| { kind: "timelineEvent"; eventId: string };
type Operation = "inspect" | "engage";
type IntentSource = "ui" | "scenePick" | "sceneDwell" | "system";
function targetEquals(a: Target | null, b: Target | null): boolean {
	if (a === b) return true;
	if (a === null || b === null) return false;
	if (a.kind !== b.kind) return false;
	switch (a.kind) {
		case "equipmentSlot": {
			const other = b as Extract<Target, { kind: "equipmentSlot" }>;
			return a.characterId === other.characterId && a.slot === other.slot;
		}
		case "skillTree": {
			const other = b as Extract<Target, { kind: "skillTree" }>;
			return a.characterId === other.characterId && a.treeId === other.treeId;
		}
		case "simEntity": {
			const other = b as Extract<Target, { kind: "simEntity" }>;
			return a.memberId === other.memberId;
		}
		case "timelineEvent": {
			const other = b as Extract<Target, { kind: "timelineEvent" }>;
			return a.eventId === other.eventId;
		}
	}
}
// --- end stubs ---

export type VisualIntentContext = {
	target: Target | null;
	operation: Operation;
	source: IntentSource;
};

export type VisualIntentEvent =
	| { type: "ATTEND"; target: Target; source: IntentSource }
	| { type: "ENGAGE"; target?: Target; source: IntentSource }
	| { type: "RELEASE"; source: IntentSource }
	| { type: "SETTLED"; target: Target };

/** ENGAGE 的目标解析：事件带 target 用之，否则沿用当前 context.target。 */
const resolveEngageTarget = (context: VisualIntentContext, event: VisualIntentEvent): Target | null => {
	if (event.type !== "ENGAGE") return null;
	return event.target ?? context.target;
};

/**
 * engage 合法性：仅 equipmentSlot 和 skillTree 可被操纵。
 * 其余 target（simEntity/timelineEvent 等）当前只支持 inspect。
 */
const canEngageTarget = (target: Target | null): boolean => {
	if (!target) return false;
	return target.kind === "equipmentSlot" || target.kind === "skillTree";
};

export const createVisualIntentMachine = () => {
	const machineSetup = setup({
		types: {
			context: {} as VisualIntentContext,
			events: {} as VisualIntentEvent,
		},
		guards: {
			isOpEngage: ({ context }) => context.operation === "engage",
			// ATTEND 无条件合法（任何 target 都可检视）。
			canAttend: ({ event }) => event.type === "ATTEND",
			// ENGAGE 合法性：target 种类允许操纵。
			canEngage: ({ context, event }) => {
				const target = resolveEngageTarget(context, event);
				return canEngageTarget(target);
			},
			// 抢占判定：异 target。
			attendDifferent: ({ context, event }) =>
				event.type === "ATTEND" && !targetEquals(context.target, event.target),
			// SETTLED 回执匹配当前 target（迟到/错位回执被忽略）。
			settledMatchesEngage: ({ context, event }) =>
				event.type === "SETTLED" && targetEquals(context.target, event.target) && context.operation === "engage",
			settledMatches: ({ context, event }) => event.type === "SETTLED" && targetEquals(context.target, event.target),
		},
		actions: {
			setAttend: assign(({ context, event }) =>
				event.type === "ATTEND"
					? { target: event.target, operation: "inspect" as Operation, source: event.source }
					: context,
			),
			setEngage: assign(({ context, event }) =>
				event.type === "ENGAGE"
					? { target: event.target ?? context.target, operation: "engage" as Operation, source: event.source }
					: context,
			),
			clearContext: assign({
				target: () => null,
				operation: () => "inspect" as Operation,
				source: () => "system" as IntentSource,
			}),
		},
	});

	return machineSetup.createMachine({
		id: "visualIntent",
		initial: "atRest",
		context: { target: null, operation: "inspect", source: "system" },
		states: {
			atRest: {
				on: {
					ATTEND: { guard: "canAttend", target: "acquiring", actions: "setAttend" },
					ENGAGE: { guard: "canEngage", target: "acquiring", actions: "setEngage" },
				},
			},
			// 在途对焦：等场景回执 SETTLED；超时兜底；新意图抢占。
			acquiring: {
				after: {
					1000: [
						{ guard: "isOpEngage", target: "engaging" },
						{ target: "attending" },
					],
				},
				on: {
					SETTLED: [
						{ guard: "settledMatchesEngage", target: "engaging" },
						{ guard: "settledMatches", target: "attending" },
					],
					ATTEND: { guard: "canAttend", target: "acquiring", reenter: true, actions: "setAttend" },
					ENGAGE: { guard: "canEngage", target: "acquiring", reenter: true, actions: "setEngage" },
					RELEASE: { target: "releasing" },
				},
			},
			attending: {
				on: {
					ENGAGE: { guard: "canEngage", target: "engaging", actions: "setEngage" },
					ATTEND: { guard: "attendDifferent", target: "acquiring", reenter: true, actions: "setAttend" },
					RELEASE: { target: "releasing" },
				},
			},
			engaging: {
				on: {
					ATTEND: { guard: "attendDifferent", target: "acquiring", reenter: true, actions: "setAttend" },
					RELEASE: { target: "releasing" },
				},
			},
			// 释放对焦：等回执/超时回 atRest 并清空；中途新意图可抢占。
			releasing: {
				after: { 1000: { target: "atRest", actions: "clearContext" } },
				on: {
					SETTLED: { target: "atRest", actions: "clearContext" },
					ATTEND: { guard: "canAttend", target: "acquiring", actions: "setAttend" },
				},
			},
		},
	});
};

export type VisualIntentMachine = ReturnType<typeof createVisualIntentMachine>;
export type VisualIntentActorRef = ActorRefFrom<VisualIntentMachine>;
export type VisualIntentSnapshot = SnapshotFrom<VisualIntentMachine>;

export const visualIntentMachine = createVisualIntentMachine();
