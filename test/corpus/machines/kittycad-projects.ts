// Source: https://github.com/KittyCAD/modeling-app/blob/4fa88396ad8c76ed66fba7de41dc285c64e5c2ae/src/machines/projectsMachine.ts
// Commit: 4fa88396ad8c76ed66fba7de41dc285c64e5c2ae
// License: MIT (KittyCAD/modeling-app)
// Changes: inlined minimal `ProjectsCommandSchema` and `Project` types and an `isArray` stub (app imports);
//   dropped the @xstate-layout comment; machine otherwise verbatim.
import { assign, fromPromise, setup } from 'xstate'

// --- stubs for app imports ---
type Project = {
  name: string
  path: string
  children: unknown[] | null
  kcl_file_count: number
  directory_count: number
  default_file: string
}
type ProjectsCommandSchema = {
  'Read projects': Record<string, unknown>
  'Open project': { name: string }
  'Rename project': { oldName: string; newName: string }
  'Create project': { name: string }
  'Delete project': { name: string }
  'Import file from URL': {
    name: string
    code?: string
    method: 'newProject' | 'existingProject'
    projectName?: string
  }
}
const isArray = (value: unknown): value is unknown[] => Array.isArray(value)
// --- end stubs ---

export const projectsMachine = setup({
  types: {
    context: {} as {
      projects: Project[]
      defaultProjectName: string
      defaultDirectory: string
      hasListedProjects: boolean
    },
    events: {} as
      | { type: 'Read projects'; data: ProjectsCommandSchema['Read projects'] }
      | { type: 'Open project'; data: ProjectsCommandSchema['Open project'] }
      | {
          type: 'Rename project'
          data: ProjectsCommandSchema['Rename project']
        }
      | {
          type: 'Create project'
          data: ProjectsCommandSchema['Create project']
        }
      | {
          type: 'Delete project'
          data: ProjectsCommandSchema['Delete project']
        }
      | {
          type: 'Import file from URL'
          data: ProjectsCommandSchema['Import file from URL']
        }
      | { type: 'navigate'; data: { name: string } }
      | {
          type: 'xstate.done.actor.read-projects'
          output: Project[]
        }
      | {
          type: 'xstate.done.actor.delete-project'
          output: { message: string; name: string }
        }
      | {
          type: 'xstate.done.actor.create-project'
          output: { message: string; name: string }
        }
      | {
          type: 'xstate.done.actor.rename-project'
          output: { message: string; oldName: string; newName: string }
        }
      | {
          type: 'xstate.done.actor.create-file'
          output: { message: string; projectName: string; fileName: string }
        }
      | { type: 'assign'; data: { [key: string]: any } },
    input: {} as {
      projects: Project[]
      defaultProjectName: string
      defaultDirectory: string
      hasListedProjects: boolean
    },
  },
  actions: {
    setProjects: assign({
      projects: ({ context, event }) =>
        'output' in event && isArray(event.output)
          ? event.output
          : context.projects,
    }),
    setHasListedProjects: assign({
      hasListedProjects: () => true,
    }),
    toastSuccess: () => {},
    toastError: () => {},
    navigateToProject: () => {},
    navigateToProjectIfNeeded: () => {},
    navigateToFile: () => {},
  },
  actors: {
    readProjects: fromPromise(() => Promise.resolve([] as Project[])),
    createProject: fromPromise(
      (_: { input: { name: string; projects: Project[] } }) =>
        Promise.resolve({ message: '' })
    ),
    renameProject: fromPromise(
      (_: {
        input: {
          oldName: string
          newName: string
          defaultProjectName: string
          defaultDirectory: string
          projects: Project[]
        }
      }) =>
        Promise.resolve({
          message: '',
          oldName: '',
          newName: '',
        })
    ),
    deleteProject: fromPromise(
      (_: { input: { defaultDirectory: string; name: string } }) =>
        Promise.resolve({
          message: '',
          name: '',
        })
    ),
    createFile: fromPromise(
      (_: {
        input: ProjectsCommandSchema['Import file from URL'] & {
          projects: Project[]
        }
      }) => Promise.resolve({ message: '', projectName: '', fileName: '' })
    ),
  },
  guards: {
    'Has at least 1 project': ({ event }) => {
      if (event.type !== 'xstate.done.actor.read-projects') return false
      return event.output.length ? event.output.length >= 1 : false
    },
  },
}).createMachine({
  id: 'Home machine',

  initial: 'Reading projects',

  context: ({ input }) => ({
    ...input,
  }),

  on: {
    assign: {
      actions: assign(({ event }) => ({
        ...event.data,
      })),
    },

    'Import file from URL': '.Creating file',
  },
  states: {
    'Has no projects': {
      on: {
        'Read projects': {
          target: 'Reading projects',
        },
        'Create project': {
          target: 'Creating project',
        },
      },
    },

    'Has projects': {
      on: {
        'Read projects': {
          target: 'Reading projects',
        },

        'Rename project': {
          target: 'Renaming project',
        },

        'Create project': {
          target: 'Creating project',
        },

        'Delete project': {
          target: 'Deleting project',
        },

        'Open project': {
          target: 'Reading projects',
          actions: 'navigateToProject',
          reenter: true,
        },
      },
    },

    'Creating project': {
      invoke: {
        id: 'create-project',
        src: 'createProject',
        input: ({ event, context }) => {
          if (
            event.type !== 'Create project' &&
            event.type !== 'Import file from URL'
          ) {
            return {
              name: '',
              projects: context.projects,
            }
          }
          return {
            name: event.data.name,
            projects: context.projects,
          }
        },
        onDone: [
          {
            target: 'Reading projects',
            actions: ['toastSuccess', 'navigateToProject'],
          },
        ],
        onError: [
          {
            target: 'Reading projects',
            actions: ['toastError'],
          },
        ],
      },
    },

    'Renaming project': {
      invoke: {
        id: 'rename-project',
        src: 'renameProject',
        input: ({ event, context }) => {
          if (event.type !== 'Rename project') {
            // This is to make TS happy
            return {
              defaultProjectName: context.defaultProjectName,
              defaultDirectory: context.defaultDirectory,
              oldName: '',
              newName: '',
              projects: context.projects,
            }
          }
          return {
            defaultProjectName: context.defaultProjectName,
            defaultDirectory: context.defaultDirectory,
            oldName: event.data.oldName,
            newName: event.data.newName,
            projects: context.projects,
          }
        },
        onDone: [
          {
            target: '#Home machine.Reading projects',
            actions: ['toastSuccess', 'navigateToProjectIfNeeded'],
          },
        ],
        onError: [
          {
            target: '#Home machine.Reading projects',
            actions: ['toastError'],
          },
        ],
      },
    },

    'Deleting project': {
      invoke: {
        id: 'delete-project',
        src: 'deleteProject',
        input: ({ event, context }) => {
          if (event.type !== 'Delete project') {
            // This is to make TS happy
            return {
              defaultDirectory: context.defaultDirectory,
              name: '',
            }
          }
          return {
            defaultDirectory: context.defaultDirectory,
            name: event.data.name,
          }
        },
        onDone: [
          {
            actions: ['toastSuccess', 'navigateToProjectIfNeeded'],
            target: '#Home machine.Reading projects',
          },
        ],
        onError: {
          actions: ['toastError'],
          target: '#Home machine.Has projects',
        },
      },
    },

    'Reading projects': {
      invoke: {
        id: 'read-projects',
        src: 'readProjects',
        onDone: [
          {
            guard: 'Has at least 1 project',
            target: 'Has projects',
            actions: ['setProjects', 'setHasListedProjects'],
          },
          {
            target: 'Has no projects',
            actions: ['setProjects', 'setHasListedProjects'],
          },
        ],
        onError: [
          {
            target: 'Has no projects',
            actions: ['toastError'],
          },
        ],
      },
    },

    'Creating file': {
      invoke: {
        id: 'create-file',
        src: 'createFile',
        input: ({ event, context }) => {
          if (event.type !== 'Import file from URL') {
            return {
              code: '',
              name: '',
              method: 'existingProject',
              projects: context.projects,
            }
          }
          return {
            code: event.data.code || '',
            name: event.data.name,
            method: event.data.method,
            projectName: event.data.projectName,
            projects: context.projects,
          }
        },
        onDone: {
          target: 'Reading projects',
          actions: ['navigateToFile', 'toastSuccess'],
        },
        onError: {
          target: 'Reading projects',
          actions: 'toastError',
        },
      },
    },
  },
})
