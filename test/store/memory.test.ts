import { createMemoryStore } from '../../src/store/memory.js';
import { storeContract } from './contract.js';

storeContract('memory', async (clock) => createMemoryStore({ clock }));
