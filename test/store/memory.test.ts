import { createMemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';
import { ledgerContract } from './contract-ledger.js';
import { accountsContract } from './contract-accounts.js';
import { calendarContract } from './contract-calendar.js';
import { grantsContract } from './contract-grants.js';
import { eventsContract } from './events-contract.js';
import { keyUseContract } from './contract-keys.js';

storeContract('memory', async (clock, onReclaim) => createMemoryStore({ clock, ...(onReclaim ? { onReclaim } : {}) }));
ledgerContract('memory', async (clock) => createMemoryStore({ clock }));
accountsContract('memory', async (clock) => createMemoryStore({ clock }));
calendarContract('memory', async (clock) => createMemoryStore({ clock }));
grantsContract('memory', async (clock) => createMemoryStore({ clock }));
eventsContract('memory', async (clock) => createMemoryStore({ clock }));
keyUseContract('memory', async (clock) => createMemoryStore({ clock }));
