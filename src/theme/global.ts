/**
 * The bundle loaded by a `<script>` tag: defines `window.growlytics` as the
 * API (SPEC §2). The only module with a load-time side effect.
 */
import { install } from './client';

install(window);
